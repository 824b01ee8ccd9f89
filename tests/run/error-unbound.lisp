(defn f [] (g))
(f)
(defn g [] :too-late)
