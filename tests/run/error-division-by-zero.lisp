(println (/ 10 2))
(println (/ 1 0))
