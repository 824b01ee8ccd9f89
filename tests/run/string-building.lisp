(defn build [n]
  (loop [i 0 s ""]
    (if (= i n) s (recur (inc i) (str s (mod i 10))))))
(def s (build 1000))
(println (count s) (subs s 0 12) (subs s 990))
(println (join "" (map (fn [i] (str i)) (range 10))))
