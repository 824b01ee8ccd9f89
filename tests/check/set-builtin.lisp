(set! println 1)
(set! undefined-thing 2)
(def counter 0)
(set! counter (inc counter))
