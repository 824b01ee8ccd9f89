;; Strings: format 10^6 integers as "N," pieces, join them into one string of about
;; 6.9 million characters, and count its characters.
(defn pieces [n]
  (loop [i 0 acc ()]
    (if (< i n)
      (recur (inc i) (cons (str i ",") acc))
      (reverse acc))))

(println (count (join "" (pieces 1000000))))
