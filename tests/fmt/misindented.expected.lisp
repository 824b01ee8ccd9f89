(defn f [x]
  (if (> x 0)
    (do
      (println "positive")
      x)
    (- x)))
(def y 2)
(defn g [a b]
  (+ a
     b))
