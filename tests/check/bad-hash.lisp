(def x #t)
