(defmacro broken [x] (+ x 1))
(println (broken :not-a-number))
