(defn two-args [a b] (+ a b))
(def f two-args)
(println "calling")
(f 1)
