(def big (range 200000))
(println (count big) (reduce + big) (count (filter even? big)) (nth big 199999))
(def v (loop [i 0 acc []] (if (= i 1000) acc (recur (inc i) (conj acc i)))))
(println (count v) (get v 999))
