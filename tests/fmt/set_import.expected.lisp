(import "helpers.lisp")
(import std/text)
(set! counter (+ counter 1))
(set! a-very-long-variable-name-for-testing
      (compute-the-next-value a-very-long-variable-name-for-testing))
