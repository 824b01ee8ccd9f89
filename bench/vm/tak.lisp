;; The Takeuchi function: about 2.5 million calls, three arguments each, mostly non-tail.
(defn tak [x y z]
  (if (< y x)
    (tak (tak (- x 1) y z)
         (tak (- y 1) z x)
         (tak (- z 1) x y))
    z))

(println (tak 24 16 8))
