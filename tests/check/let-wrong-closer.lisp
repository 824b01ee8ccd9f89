(let [a 1) (println a))
