;; Map, filter, reduce (SRFI-1 fold) over a list of 10^6 integers: each step builds (or
;; walks) a whole list and calls a function per element.
(use-modules (srfi srfi-1))

(display (fold + 0 (filter even? (map (lambda (x) (* x 3)) (iota 1000000)))))
(newline)
