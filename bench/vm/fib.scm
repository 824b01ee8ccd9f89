;; Naive doubly recursive Fibonacci: function calls, integer arithmetic, comparisons.
(define (fib n)
  (if (< n 2)
      n
      (+ (fib (- n 1)) (fib (- n 2)))))

(display (fib 32))
(newline)
