'(a b c)
'(defn
  not-a-call
  [x]
  (this is data not code so it aligns under the first element x))
(quote (1 2 3))
'[:a :b]
'{:k v}
(def symbols
  '(alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi
    omicron pi))
