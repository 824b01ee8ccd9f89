;; Strings: format 10^6 integers as "N," pieces, join them into one string of about
;; 6.9 million characters, and count its characters.
(define (pieces n)
  (let loop ((i 0) (acc '()))
    (if (< i n)
        (loop (+ i 1) (cons (string-append (number->string i) ",") acc))
        (reverse acc))))

(display (string-length (string-concatenate (pieces 1000000))))
(newline)
