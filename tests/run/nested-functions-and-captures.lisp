(defn outer [a]
  (fn [b]
    (fn [c]
      (+ a b c))))
(println (((outer 1) 10) 100))
(defn compose [& fs] (fn [x] (reduce (fn [acc f] (f acc)) x fs)))
(println ((compose inc inc (fn [x] (* x 10))) 1))
