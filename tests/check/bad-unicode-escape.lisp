(println "\u{110000} \u{zz} \u")
