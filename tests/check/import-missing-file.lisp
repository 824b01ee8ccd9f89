(import "lib/does-not-exist.lisp")
(import std/nonexistent)
