(str "first part "
     "second part")
(println a
  b)
(println a
         b)
(println a
         b)
(foo
 a
 b)
(foo
 a b)
