(defn helper [x]
  (let [y (* x 2)]
    (+ y 1))

(defn main []
  (println (helper 2)))

(defn later [z]
  (+ z undefined-name))
