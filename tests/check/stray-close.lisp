(println "one"))
(println "two")
