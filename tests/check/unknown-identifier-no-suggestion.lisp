(println (frobnicate 42))
