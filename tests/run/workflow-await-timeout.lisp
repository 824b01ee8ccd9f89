;; `(await P :timeout D)` returns nil when nothing matches in time (a durable timer), and
;; the match itself when it comes first (the timer is then withdrawn).
(workflow patience
  ;; A duration known only at run time (a literal one is a check error, E0211).
  (def soon "soon")
  (state wait
    (println "nothing came:" (await (record never) :timeout "20ms"))
    (assert (record ready 1))
    (println "already there:" (await (record ready _) :timeout "10m"))
    (println "bad duration:" (try (await (record never) :timeout soon)
                                  (catch e (field e 0))))
    (terminal)))
