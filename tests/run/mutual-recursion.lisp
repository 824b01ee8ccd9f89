(defn my-even? [n] (if (= n 0) true (my-odd? (- n 1))))
(defn my-odd? [n] (if (= n 0) false (my-even? (- n 1))))
(println (my-even? 1000000) (my-odd? 1000001) (my-even? 7))
