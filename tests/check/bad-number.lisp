(def n 12abc)
(def m 1.)
(def k 1e)
