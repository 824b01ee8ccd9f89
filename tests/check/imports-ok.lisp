(import "lib/helpers.lisp")
(import std/retry)
(import std/text)

(println (double 21))
(println (retry 3 (fn [] (indent "> " "quoted"))))
