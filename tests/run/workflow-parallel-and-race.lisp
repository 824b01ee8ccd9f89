;; Several agents try one task in parallel; a race takes the first answer.
(workflow best-of
  (roles
    (fast :agent-kind "claude-code")
    (careful :agent-kind "claude-code")
    (judge :agent-kind "claude-code"))

  (state try
    (let [drafts (parallel
                   (prompt fast "Write the function")
                   (prompt careful "Write the function, with tests")
                   (str "inline: " (+ 1 2)))]
      (println "drafts:" drafts)
      (println "count:" (count drafts)))
    (println "first:"
             (race (prompt judge "Pick one") (prompt fast "Pick quickly")))
    (println "empty:" (parallel) (race))
    (println "caught:" (try (parallel (+ 1 2) (throw (error "branch failed")))
                            (catch e (field e 1))))
    (goto done))

  (state done
    (terminal :completed "picked")))
