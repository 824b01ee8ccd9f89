;; max-depth: 5000
(defn forever [n] (+ 1 (forever n)))
(println "starting")
(forever 1)
