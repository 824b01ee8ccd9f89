(defn wrap-in-do [forms] (cons 'do forms))
(defmacro my-unless [test & body]
  `(if ,test nil ,(wrap-in-do body)))
(println (my-unless false "ran" "twice") (my-unless true "skipped"))
(defmacro swap-args [form] `(,(first form) ,(nth form 2) ,(nth form 1)))
(println (swap-args [- 1 10]))
(defmacro with-temp [value & body]
  (let [tmp (gensym "tmp")]
    `(let [,tmp ,value] (+ ,tmp ,@body))))
(println (with-temp 100 1 2 3))
(defmacro times-two [x] `(* 2 ,x))
(println (times-two (times-two 5)))
