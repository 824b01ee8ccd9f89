;; Map, filter, reduce over a list of 10^6 integers: each step builds (or walks) a whole list
;; and calls a function per element.
(println (reduce + 0 (filter even? (map (fn [x] (* x 3)) (range 1000000)))))
