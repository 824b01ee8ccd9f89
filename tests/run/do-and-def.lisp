(def a 1)
(def b (do (println "evaluating b") (+ a 1)))
(println a b (do) (do 1 2 3))
