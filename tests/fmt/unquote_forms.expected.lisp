`(a ,b ,@c)
`(list ,(+ 1 2) ,@(map inc xs))
`(a , @b)
`[,x ,@ys]
'(spaced quote)
