(workflow w
  (println "not in a state")
  (state s (terminal)))
