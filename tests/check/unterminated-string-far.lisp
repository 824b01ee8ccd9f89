(defn greet [name]
  "Greets someone."
  (println "hello, name))

(defn part [x]
  (str "a" x "b"))

(greet "world")
(println (part 1))
