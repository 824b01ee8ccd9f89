(println "hello)
(println "world")
