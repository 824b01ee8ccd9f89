(defn square [x] (* x x))
(defn add [a b]
  (+ a b))
(defn greet [name]
  (let [msg (str "hi " name)]
    (println msg)
    msg))
