;; `(await P :timeout D)` returns nil when nothing matches in time (a durable timer), and
;; the match itself when it comes first (the timer is then withdrawn).
(workflow patience
  (state wait
    (println "nothing came:" (await (record never) :timeout "20ms"))
    (assert (record ready 1))
    (println "already there:" (await (record ready _) :timeout "10m"))
    (println "bad duration:" (try (await (record never) :timeout "soon")
                                  (catch e (field e 0))))
    (terminal)))
