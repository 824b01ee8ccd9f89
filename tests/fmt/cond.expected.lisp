(cond (< x 0) :negative (= x 0) :zero :else :positive)
(defn classify [n]
  (cond
    (< n 0) "negative number"
    (= n 0) "zero"
    (< n 10) "small positive number"
    :else "large positive number"))
(cond
  (< x 0) :negative
  (= x 0) :zero
  :else :positive)
(cond (< x 0) :negative
      :else :positive)
