(import "cycle-b.lisp")
(def a 1)
