;; allow: workspace/read workspace/write
;; `poll` re-evaluates until truthy, sleeping between tries; nil after its timeout.
(def tries 0)
(println (poll (do (set! tries (inc tries)) (>= tries 3)) :every "10ms") tries)
(println (poll (read-file "data/notes.txt") :every 5) "ok")
(println (poll false :every "10ms" :timeout "30ms"))
(def soon "soon")
(println (try (poll false :every "1ms" :timeout soon) (catch e (field e 0))))
