;; Closures: 10,000 counters, each a fresh closure over a mutable local (a boxed cell),
;; each called 100 times: 10^6 calls of a closure that reads and assigns what it captured.
(defn make-counter [step]
  (let [n 0]
    (fn []
      (set! n (+ n step))
      n)))

(defn drain [counter calls total]
  (loop [j 0 total total]
    (if (< j calls)
      (recur (inc j) (+ total (counter)))
      total)))

(defn run [counters calls]
  (loop [i 0 total 0]
    (if (< i counters)
      (recur (inc i) (drain (make-counter (+ (mod i 7) 1)) calls total))
      total)))

(println (run 10000 100))
