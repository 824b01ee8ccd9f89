(def a (gensym))
(def b (gensym "tmp"))
(println (symbol? a) (= a b) (= a a))
