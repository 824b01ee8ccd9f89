(defn retry
  "Calls f up to n times until it returns a truthy value."
  [f n]
  (loop [i 0] (when (< i n) (or (f) (recur (inc i))))))
(defn documented
  "A docstring on its own line."
  [x]
  x)
