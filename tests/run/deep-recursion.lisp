(defn depth [n] (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(println (depth 100000))
(defn build [n] (if (= n 0) '() (cons n (build (dec n)))))
(println (count (build 100000)))
