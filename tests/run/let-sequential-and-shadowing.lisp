(let [a 1
      b (+ a 1)
      a (* b 10)]
  (println a b))
(def x :global)
(let [x :local]
  (println x)
  (let [x :inner] (println x))
  (println x))
(println x)
