(println (< 1 2 3) (< 1 3 2) (<= 1 1 2) (> 3 2 1) (>= 3 3 1) (== 1 1.0) (== 1 2))
(println (= 1 1) (= 1 1.0) (= "a" "a") (= [1 2] [1 2]) (= [1 2] '(1 2)) (= {:a 1 :b 2} {:b 2 :a 1}))
(println (= :a :a) (= 'x 'x) (= nil nil) (= nil false) (= [] '()) (= {} {}) (= 1 1 1) (= 1 1 2))
(println (not nil) (not false) (not 0) (not "x"))
