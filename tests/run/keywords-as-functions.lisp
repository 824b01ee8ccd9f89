(def m {:name "duet" :kind :lisp})
(println (:name m) (:missing m) (:missing m :default) (get m :kind))
