;; `map`, `filter` and `reduce` call what they are given as ordinary calls: closures that
;; print (the fiber suspends in the middle of the loop), that throw (a `try` outside
;; catches), that map again inside, builtins and keywords.
(println (map (fn [x] (println "visiting" x) (* x 10)) [1 2 3]))
(println (filter (fn [x] (print "?" x "") (odd? x)) (range 5)))
(println (reduce (fn [acc x] (println "acc" acc "x" x) (+ acc x)) 100 '(1 2)))
(println (try
           (map (fn [x] (if (= x 2) (throw (error "two")) x)) [1 2 3])
           (catch e (str "caught: " (field e 1)))))
(println (map (fn [row] (reduce + (map inc row))) [[1 2] [] [3]]))
(println (map :name [{:name "a"} {:name "b"} {}])
         (filter even? [1 2 3 4])
         (reduce * [1 2 3 4]))
(println (reduce + 0 (filter even? (map (fn [x] (* x 3)) (range 1000)))))
(println (sort-by (fn [m] (get m :k)) [{:k 3} {:k 1} {:k 2}]))
;; A builtin given to them is called straight, element by element: one that suspends the
;; fiber (`println`) picks up where it stopped; its errors name the builtin.
(println (map println ["p" "q"]) (filter print [1 2]))
(println (try (map cons [1 2]) (catch e (field e 1))))
(println (try (reduce inc 0 [1 2]) (catch e (field e 1))))
(println (try (reduce + 0 [1 :x]) (catch e (field e 1))))
