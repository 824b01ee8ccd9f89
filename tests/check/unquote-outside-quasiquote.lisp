(def x 1)
(println ,x)
(println `(a ,@x))
(println `,@x)
