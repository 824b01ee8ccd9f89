(defn greet [name]
  (prinln "hello," name))
