(defn make-list [n]
  (loop [i 0 acc '()] (if (= i n) acc (recur (inc i) (cons i acc)))))
(defn churn [rounds]
  (loop [r 0 total 0]
    (if (= r rounds)
      total
      (recur (inc r) (+ total (count (make-list 50000)))))))
(println (churn 20))
(def keep (make-list 100000))
(churn 5)
(println (count keep) (first keep) (reduce + keep))
