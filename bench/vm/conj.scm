;; conj: build a vector of 10^5 integers by consing a list and converting it, then read it back.
(define v (list->vector (reverse (let loop ((i 0) (acc '())) (if (< i 100000) (loop (+ i 1) (cons i acc)) acc)))))
(display (+ (vector-length v) (vector-ref v 500) (vector-ref v 99999)))
(newline)
