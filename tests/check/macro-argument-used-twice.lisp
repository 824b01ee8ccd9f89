;; A macro that uses its argument twice: the argument's error is reported once.
(defmacro twice [x]
  (list 'do x x))

(twice (println undefined-thing))
