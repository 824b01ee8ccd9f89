;; Waiting for something nothing will assert suspends the run (exit 3).
(workflow w
  (state s
    (println "waiting")
    (await (record never-asserted))
    (terminal)))
