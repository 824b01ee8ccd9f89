(import "lib/cycle-a.lisp")
