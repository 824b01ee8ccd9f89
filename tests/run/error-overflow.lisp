(defn grow [n] (if (> n 0) (grow (* n 1000)) n))
(grow 1)
