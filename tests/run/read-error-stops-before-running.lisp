(println "this must not print")
(println "unclosed"
