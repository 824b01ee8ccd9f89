(defn square [side]
  {:w side :h side})

(defn area [shape]
  (* (get shape :w) (get shape :h)))
