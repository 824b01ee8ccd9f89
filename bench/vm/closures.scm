;; Closures: 10,000 counters, each a fresh closure over a mutable local (a boxed variable),
;; each called 100 times: 10^6 calls of a closure that reads and assigns what it captured.
(define (make-counter step)
  (let ((n 0))
    (lambda ()
      (set! n (+ n step))
      n)))

(define (drain counter calls total)
  (let loop ((j 0) (total total))
    (if (< j calls)
        (loop (+ j 1) (+ total (counter)))
        total)))

(define (run counters calls)
  (let loop ((i 0) (total 0))
    (if (< i counters)
        (loop (+ i 1) (drain (make-counter (+ (modulo i 7) 1)) calls total))
        total)))

(display (run 10000 100))
(newline)
