;; std/retry waits between tries: `:backoff` doubling up to `:max-backoff`, with jitter.
(import std/retry)
(def attempts 0)
(def started (now))
(println (retry 4 (fn []
                    (set! attempts (inc attempts))
                    (if (< attempts 4)
                      (throw (error "not yet"))
                      (str "done after " attempts)))
               :backoff "40ms" :max-backoff 60))
;; Three waits of at least half of 40, 60 and 60 ms.
(println "waited enough:" (>= (- (now) started) 80))
(println (try
           (retry 2 (fn [] (throw (error "always"))) :backoff 5)
           (catch e (field e 1))))
(println (try
           (retry 2 (fn [] (throw (error "x"))) :backoff "soon")
           (catch e (field e 1))))
