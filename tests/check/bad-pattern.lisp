(match [1 2]
  (foo ?a) a
  [?x ?x] x
  (record) 0)
