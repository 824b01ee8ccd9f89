;; Naive doubly recursive Fibonacci: function calls, integer arithmetic, comparisons.
(defn fib [n]
  (if (< n 2)
    n
    (+ (fib (- n 1)) (fib (- n 2)))))

(println (fib 32))
