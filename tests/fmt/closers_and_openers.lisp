(foo
  )
(  bar a b  )
( baz
  a)
[ 1 2 3 ]
(defn f [x]
  (g x)
)
(record agent-request "req-2"
                "kept space before the closer in a broken form" )
(  spaced  )
