(println (map + [1 2] [10 20]) (reduce max [4 8 2]) (map str [1 :a "b"]) ((fn [f] (f 2 3)) *))
(def ops [+ - *])
(println (map (fn [op] (op 10 2)) ops) (apply max [1 5 3]) (filter string? [1 "a" :b "c"]))
