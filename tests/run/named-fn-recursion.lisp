(def fact (fn fact [n] (if (<= n 1) 1 (* n (fact (dec n))))))
(println (fact 10) (map (fn sq [x] (* x x)) [1 2 3]))
