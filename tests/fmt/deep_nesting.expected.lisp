(defn deep []
  (let [a (fn []
            (let [b (fn []
                      (let [c (fn [] (let [d (fn [] (list 1 2 3))] (d)))] (c)))]
              (b)))]
    (a)))
