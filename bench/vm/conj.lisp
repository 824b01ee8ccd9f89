;; conj: build a vector of 10^5 integers one `conj` at a time (persistent: each version
;; shares the previous one's structure), then read it back.
(def v (loop [i 0 v []] (if (< i 100000) (recur (inc i) (conj v i)) v)))
(println (+ (count v) (nth v 500) (nth v 99999)))
