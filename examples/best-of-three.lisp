;; Three agents try the same task at once; a reviewer picks the best attempt.
;; Dry-run offline: `duet run --agents echo examples/best-of-three.lisp`.

(def task "Write a function that parses ISO 8601 durations")

(workflow best-of-three
  (roles
    (alice :agent-kind "claude-code")
    (bob :agent-kind "codex")
    (carol :agent-kind "ollama" :model "qwen2.5-coder")
    (judge :agent-kind "claude-code"
           :system "Reply with the number of the best attempt."))

  (state attempt
    (let [attempts (parallel
                     (prompt alice task)
                     (prompt bob task)
                     (prompt carol task))
          numbered (map (fn [i]
                          (str "Attempt " (inc i) ":\n" (nth attempts i)))
                        (range (count attempts)))
          choice (prompt judge (join "\n\n" numbered))]
      (println "the judge chose:" choice)
      (terminal :completed {:attempts (count attempts) :choice choice}))))
