(println "this must not print")
(prinln "typo")
