;; max-steps: 2000000
;; Builtins count the work they do against the step budget: each `str` of a 100,000-long
;; list costs hundreds of thousands of steps, so the loop stops long before 100 rounds.
(println "working")
(loop [i 0]
  (when (< i 100)
    (str (range 100000))
    (recur (inc i))))
(println "not reached")
