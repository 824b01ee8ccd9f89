(defn validate [order]
  (when (< (get order :qty) 1)
    (throw (error "quantity must be positive" order)))
  order)
(defn process [orders] (map validate orders))
(process [{:qty 2} {:qty 0}])
