;; A script with no workflow: everything here is fine.
(defn fact [n]
  (loop [i n acc 1]
    (if (<= i 1) acc (recur (dec i) (* acc i)))))

(defmacro unless-zero [x & body]
  `(if (zero? ,x) nil (do ,@body)))

(let [xs (map (fn [x] (* x x)) (range 10))]
  (println (format "{} {}" (fact 10) (reduce + 0 xs)))
  (println `(a ,(first xs) ,@(rest xs))))
