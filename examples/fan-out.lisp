;; Fan a question out to specialists in parallel, then merge their answers.
;; Dry-run offline: `duet run --agents echo examples/fan-out.lisp`.

(def question "How should we store run history?")

(workflow fan-out
  (roles
    (storage :agent-kind "claude-code" :system "You know databases.")
    (security :agent-kind "claude-code" :system "You know threat models.")
    (ops :agent-kind "claude-code" :system "You run production systems.")
    (editor :agent-kind "claude-code"))

  (state ask
    (let [answers (parallel
                    (prompt storage question)
                    (prompt security question)
                    (prompt ops question))]
      (assert (record answers answers))
      (goto merge)))

  (state merge
    (await (record answers ?answers))
    (let [summary (prompt editor
                          (str "Merge these answers:\n" (join "\n" answers)))]
      (println summary)
      (terminal :completed {:answers (count answers)}))))
