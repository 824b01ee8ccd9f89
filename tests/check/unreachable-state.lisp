(workflow w
  (state start
    (goto done))
  (state forgotten
    (println "never")
    (goto done))
  (state done
    (terminal)))
