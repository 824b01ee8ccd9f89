(import "cycle-a.lisp")
(def b 2)
