(def v [1 2 3])
(println (vector) (vector 1 :a) (conj v 4 5) v (first v) (rest v) (nth v 2) (get v 0) (get v 9 :none))
(println (assoc v 0 :x) (assoc v 3 :appended) (count v) (contains? v 2) (contains? v 3))
(println (vector? (rest v)) (list? (rest v)))
