(def t0 (now))
(sleep "20ms")
(println (>= (- (now) t0) 20))
(println (< (random-int 10) 10) (count (uuid)) (= (uuid) (uuid)))
;; A duration only known at run time (a literal one is a check error, E0211).
(def soon "soon")
(println (try (sleep soon) (catch e (field e 1))))
(println (try (random-int 0) (catch e (field e 0))))
