(defn f [x]
  (g x)
  ;; a comment at the end of a body
  )
(foo a b ; trailing before the closer
     )
[1 2 3 ; numbers
 ]
{:a 1 ; the a
 :b 2}
