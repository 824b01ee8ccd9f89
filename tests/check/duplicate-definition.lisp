(defn helper [x] x)

(def helper 42)
