(let [x [1 2 {:a 3]
  (println x)
