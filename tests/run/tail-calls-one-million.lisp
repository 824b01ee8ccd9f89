(defn count-down [n] (if (= n 0) :done (count-down (- n 1))))
(println (count-down 1000000))
(defn sum-to [n acc] (if (= n 0) acc (sum-to (dec n) (+ acc n))))
(println (sum-to 1000000 0))
(println ((fn loop-fn [n]
            (if (= n 0) :anonymous-done (loop-fn (dec n)))) 1000000))
