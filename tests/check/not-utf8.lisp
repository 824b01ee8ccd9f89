(println "café")
