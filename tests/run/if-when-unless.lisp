(println (if true :yes :no) (if false :yes :no) (if nil :yes) (if 0 :zero-is-truthy :no))
(println (if "" :empty-string-is-truthy :no) (if [] :empty-vector-too :no))
(println (when true 1 2 3) (when false 1) (unless false :ran) (unless true :skipped))
