(goto start)
(state start (terminal))
(defn f []
  (def inner 1)
  inner)
(catch e e)
