;; max-steps: 100000
(println "looping")
(loop [i 0] (recur (inc i)))
