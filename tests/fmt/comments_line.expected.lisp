; file header comment
;; section comment
;;; top-level header

(def x 1) ; trailing comment
(def y 2) ;   trailing with extra spaces

(defn f [x]
  ;; explains the next line
  (g x) ; trailing on a body form
  ; another own-line comment
  (h x))
