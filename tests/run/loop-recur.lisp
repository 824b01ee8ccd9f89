(println (loop [i 0 acc 1] (if (= i 10) acc (recur (inc i) (* acc 2)))))
(defn fact [n] (loop [n n acc 1] (if (<= n 1) acc (recur (dec n) (* acc n)))))
(println (fact 20))
(defn count-to [n]
  (loop [i 0 out []] (if (< i n) (recur (inc i) (conj out i)) out)))
(println (count-to 5))
(defn fn-recur [n acc] (if (= n 0) acc (recur (dec n) (+ acc n))))
(println (fn-recur 100 0))
