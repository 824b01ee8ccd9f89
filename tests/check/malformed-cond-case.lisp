(cond (= 1 1) :one (= 2 2))
(case 3 1 :one 2)
