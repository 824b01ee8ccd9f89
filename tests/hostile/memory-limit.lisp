;; Running out of memory is a `:memory` error a `try` catches; the program goes on.
(defn grow [n]
  (loop [acc () i 0] (if (< i n) (recur (cons i acc) (inc i)) acc)))
(defn kind [thunk] (try (thunk) (catch e (field e 0))))
(println (kind (fn [] (count (grow 100000000)))))
(println (kind (fn [] (count (range 90000000)))))
(def s (apply str (map (fn [_] "0123456789") (range 10000))))
(println (kind (fn [] (count (replace s "0" s)))))
(println (kind (fn []
                 (count (str (let [x (range 10000)]
                               (map (fn [_] x) (range 10000))))))))
(println "still running" (count (grow 1000)))
(count (grow 100000000))
