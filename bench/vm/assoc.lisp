;; assoc: build a map of 10^5 integer keys one `assoc` at a time (persistent: each version
;; shares the previous one's structure), then look keys up.
(def m
  (loop [i 0 m {}] (if (< i 100000) (recur (inc i) (assoc m i (* 2 i))) m)))
(println (+ (count m) (get m 500) (get m 99999)))
