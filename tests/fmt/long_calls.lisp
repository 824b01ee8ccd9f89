(println "The quick brown fox jumps over the lazy dog" "and keeps running through the field")
(format "{} {} {} {} {}" first-argument second-argument third-argument fourth-argument fifth)
(some-function (nested-function-one arg-a arg-b) (nested-function-two arg-c arg-d) (nested-three))
(f (g (h (i (j (k (l (m (n (o (p (q (r (s (t (u (v (w (x (y (z 1 2 3 4 5 6 7 8 9 10)))))))))))))))))))))
