(def a 1) (def b 2) (def c 3)
(println a) ; same line comment
#| c |# (def d 4)
