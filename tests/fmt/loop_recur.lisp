(loop [i 0 acc []] (if (< i 10) (recur (inc i) (conj acc (* i i))) acc))
(defn count-down [n]
  (loop [i n]
    (when (> i 0)
       (println i)
         (recur (dec i)))))
