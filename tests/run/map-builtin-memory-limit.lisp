;; max-memory: 12M
;; `map` of a builtin collects as it goes and stops with a catchable `:memory` error when
;; what it builds passes the limit; what was built before is intact.
(def xs (range 100000))
(println (try (count (map str xs)) (catch e (field e 0))))
(println (count (filter number? xs)) (reduce + 0 xs))
