(defn f [x]
	(let [y 1]
		(printn x y)))
