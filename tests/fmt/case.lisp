(case kind :a (do-a) :b (do-b) (:c :d) (do-c-or-d) :else (fallback kind with many arguments here))
(case x
1 "one"
2 "two"
:else "many")
