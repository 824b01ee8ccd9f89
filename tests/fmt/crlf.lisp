(defn f [x]
  (let [y (* x 2)]
       (+ x y)))


(def s "line one
line two")
