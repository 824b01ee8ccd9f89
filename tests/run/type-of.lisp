(println (map type-of
              [nil
               true
               1
               1.5
               "s"
               :k
               'sym
               '(1)
               '()
               [1]
               {:a 1}
               (record r)
               inc
               (fn [] 1)]))
