;; A name with an invisible character in it is a different name that looks the same.
(def total 1)
(println tot​al)
(def ‮evil 2)
