(defn greet
  "Says hello to someone."
  [name]
  (str "hello, " name))
(defn sum-all [first-one & more]
  (reduce + first-one more))
(defn no-args [] :nothing)
(println (greet "Ada") (sum-all 1) (sum-all 1 2 3 4) (no-args))
(defn collect [& xs] xs)
(println (collect) (collect 1 2))
