(defn f [x]
	(let [y 1]
		(+ x y)))
(println a
		b)
(def s "tab	inside")
