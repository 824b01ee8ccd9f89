;; An error raised in the middle of an expression inside a `catch` handler, with a
;; `finally`, must leave the stack exactly as it was.
(def steps [])
(defn step! [x] (set! steps (conj steps x)))
(defn attempt []
  (try
    (throw (error "first"))
    (catch _e (+ 1 (* 2 (throw (error "second")))))
    (finally (step! :finally))))
(println (list :before (try (attempt) (catch e (field e 1))) :after))
(println (+ 100 (try (attempt) (catch _e 1))) steps)
