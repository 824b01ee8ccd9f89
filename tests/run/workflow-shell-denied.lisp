;; Without `--allow shell` a command is a catchable capability error.
(workflow w
  (state s
    (println (try (shell "echo hi") (catch e (field e 0))))
    (terminal)))
