(let [a] a)
(let x 1)
(let [1 2] 3)
