(defn risky [x]
  (if (< x 0) (throw (error "negative" {:x x})) (* x 2)))
(println (try (risky 5) (catch _e :unreachable)))
(println (try
           (risky -1)
           (catch e (str "caught: " (field e 1) " " (get (field e 2) :x)))))
(def trail [])
(defn record! [x] (set! trail (conj trail x)))
(println (try (record! :body) :result (finally (record! :finally))))
(println (try
           (try (risky -2) (finally (record! :inner-finally)))
           (catch _e :outer-caught)))
(println trail)
(println (try (throw 42) (catch e (+ e 1))))
(println (try (throw [1 2]) (catch e (count e))))
