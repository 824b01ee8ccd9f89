(defn classify [n]
  (cond
    (< n 0) :negative
    (= n 0) :zero
    (< n 10) :small
    :else :large))
(println (map classify [-5 0 3 42]))
(defn kind [x]
  (case x
    1 :one
    (2 3) :two-or-three
    "s" :string
    :k :keyword
    :else :other))
(println (map kind [1 2 3 "s" :k 99]))
(println (cond false 1) (case 5 1 :one))
