(workflow w
  (state start
    (goto done)
    (println "never printed"))
  (state done
    (terminal)
    (println "nor this")))
