#;(def disabled 1)
(list 1 #;2 3)
(do #;(println "skip" [1 (nested)] {:a ")"}) (println "run"))
[#;[a b] c #;{:k "v"} d #;"str" e #;'(quoted) f]
#;(multi-line
   (still commented) ; with a comment
   "and a string")
(println "live")
