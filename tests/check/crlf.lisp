(defn f [x]
  (+ x 1))

(println (f 1 2))
