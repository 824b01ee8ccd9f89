(println (count [1 2] [3]))
(get {:a 1})
