(println ?x)
