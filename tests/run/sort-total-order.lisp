;; `sort` orders every list of numbers, NaN included, without failing: numbers by exact
;; value (an integer and a float near 2^53 compare exactly), NaN after every number.
(def nan (/ 0.0 0.0))
(def big 9007199254740993)
(println (sort [3.0
                nan
                1
                2.5
                nan
                0
                -1.5
                nan
                big
                9007199254740992.0
                (- big)
                -9007199254740994.0
                nan
                2
                1.5]))
(println (sort-by - [1 nan 3 2]))
(println (sort [1.0 1 0.5 -0.0 0]))
;; Many NaNs among many numbers (the sort used to panic on these), inside `try` too.
(def lots (map (fn [i] (if (= 0 (mod i 3)) nan (- 50 i))) (range 100)))
(defn ends [xs] (list (first xs) (nth xs 65) (nth xs 66) (count xs)))
(println (ends (sort lots)))
(println (try (ends (sort-by (fn [x] x) lots)) (catch e (field e 1))))
;; Exact comparisons for `<` too, and NaN compares false.
(println (< 9007199254740992.0 big)
         (== 9007199254740992.0 big)
         (< nan 1)
         (> nan 1)
         (== nan nan))
;; Kinds that do not compare are an error a `try` catches, never a crash.
(println (try (sort [1 "a" :b]) (catch e (field e 1))))
(println (try (sort [{:a 1} {:b 2}]) (catch e (field e 1))))
(println (try (sort [[1 {}] [1 {}] [0]]) (catch e (field e 1))))
