(shell "ls" :cwdd "/tmp")
(workflow w
  (state s
    (println (prompt nobody "x" :timeout "5m"))
    (await (record ping) :timout "1s")
    (terminal)))
