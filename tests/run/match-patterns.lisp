(defn describe [v]
  (match v
    nil "nil"
    42 "the answer"
    "hi" "a greeting"
    :k "a keyword"
    'sym "a quoted symbol"
    [] "an empty sequence"
    [?x] (str "one element: " x)
    [1 ?y _] (str "starts with 1, then " y)
    {:name ?n :age ?a} (str n " is " a)
    (record point ?x ?y) (str "point " x "," y)
    (record reply :field 0 :equals "r1") "the reply to r1"
    _ "something else"))
(println (map describe
              [nil
               42
               "hi"
               :k
               (quote sym)
               []
               [7]
               (list 1 2 3)
               {:name "Ada" :age 36 :x 0}
               (record point 1 2)
               (record reply "r1" "body")
               (record reply "r2")
               3.5]))
