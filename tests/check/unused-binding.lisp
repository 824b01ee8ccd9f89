(defn f [x unused-param _ignored]
  (let [y 1
        _z 2
        w 3]
    (+ x y)))

(match [1 2]
  [?a ?b] a)
