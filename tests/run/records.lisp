(def r (record agent-request "req-1" "Draft a plan"))
(println r (label r) (fields r) (field r 1) (count r) (record? r) (record? [1]))
(println (= r (record agent-request "req-1" "Draft a plan")) (= r (record agent-request "req-2" "x")))
(println (record empty) (get r 0) (record 'dynamic-label 1))
