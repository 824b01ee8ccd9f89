(defn f [x]
  (println "x is \q" x)
  {:a})

(defn g [] 12abc)

(println "done"))
(println "still read"
