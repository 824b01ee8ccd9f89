;; assoc: build a hash table of 10^5 integer keys one hash-set! at a time, then look keys up.
(define m (make-hash-table))
(let loop ((i 0)) (when (< i 100000) (hash-set! m i (* 2 i)) (loop (+ i 1))))
(display (+ (hash-count (const #t) m) (hash-ref m 500) (hash-ref m 99999)))
(newline)
