(let [a 1 b (+ a 1)] (+ a b))
(let [first-name (get user :first-name) last-name (get user :last-name) full-name (str first-name " " last-name)] (println full-name))
(let [x 1
    y 2
        z 3]
(+ x y z))
(let [a 1 b 2
      c 3]
  c)
