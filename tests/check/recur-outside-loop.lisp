(println (recur 1))
