(def x 1)
#| a comment
   #| nested |#
   never closed
(def y 2)
