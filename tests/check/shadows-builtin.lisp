(defn count [xs]
  (reduce + 0 xs))

(let [map {:a 1}]
  (get map :a))
