(println (list) (list 1 2 3) (cons 0 '(1 2)) (cons 0 [1 2]) (conj '(2 3) 1) (conj nil 1))
(println (first '(1 2)) (first '()) (first nil) (rest '(1 2 3)) (rest '()) (rest nil))
(println (nth '(a b c) 1) (nth '(a b c) 5 :none) (count '(1 2 3)) (empty? '()))
(println (concat '(1 2) [3] nil '(4)) (reverse '(1 2 3)) (range 5) (range 2 5) (range 10 0 -3) (range 0))
