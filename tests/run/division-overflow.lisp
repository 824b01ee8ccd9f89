;; The one integer division whose quotient does not fit raises `:overflow`, like `*`.
(println (try (/ -9223372036854775808 -1) (catch e (field e 0))))
(println (try (quot -9223372036854775808 -1) (catch e (field e 0))))
(println (/ -9223372036854775808 1)
         (/ -9223372036854775807 -1)
         (/ 7 2)
         (/ -9 3))
(println (mod -9223372036854775808 -1))
(/ -9223372036854775808 -1)
