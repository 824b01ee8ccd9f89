(defn sum [n]
  (loop [i n acc 0]
    (if (= i 0)
      acc
      (+ 1 (recur (dec i) (+ acc i))))))
