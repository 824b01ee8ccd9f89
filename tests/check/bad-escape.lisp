(println "tab\tok, but \q is not")
