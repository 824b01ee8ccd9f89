(defn no-params (+ 1 2))
(def f (fn))
(defn bad-params [a 1] a)
(defn bad-rest [a &] a)
