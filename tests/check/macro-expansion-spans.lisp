;; Errors in macro expansions: one in an argument used twice is reported once, at the
;; argument; one in code the macro made up points at the macro call.
(defmacro twice [x]
  (list 'do x x))

(twice (println undefined-thing))

(defmacro call-helper []
  (list 'missing-helper 1))

(call-helper)
