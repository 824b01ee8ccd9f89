#| A block comment
   spanning lines |#
(def x #| inline |# 1)
(defn f [x] #| before the body |# (g x))
#| nested #| block |# comments |#
(list 1 #| one |# 2 #| two |# 3)
