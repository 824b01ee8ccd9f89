(defn f [a & more] [a more])
(println (f 1) (f 1 2 3) (apply f [1 2 3]) (apply f 1 [2]))
(println (apply list 1 2 '(3 4)) (apply (fn [& all] (count all)) (range 10)))
