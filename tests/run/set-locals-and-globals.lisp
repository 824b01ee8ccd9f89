(def total 0)
(defn add! [n] (set! total (+ total n)))
(add! 5)
(add! 7)
(println total)
(let [x 1]
  (set! x (+ x 1))
  (println (set! x (* x 10)) x))
