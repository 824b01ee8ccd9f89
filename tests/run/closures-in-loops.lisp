(def fs
  (loop [i 0 acc []]
    (if (= i 3)
      acc
      (recur (inc i) (conj acc (fn [] (* i 10)))))))
(println (map (fn [f] (f)) fs))
(def adders (map (fn [n] (fn [x] (+ x n))) [1 2 3]))
(println (map (fn [f] (f 100)) adders))
