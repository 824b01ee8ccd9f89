(println "scripts can print")
(shell "echo hi")
