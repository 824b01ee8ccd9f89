(if ready? (start) (wait))
(if (and (some-long-predicate-function argument-one)
         (another-predicate argument-two))
  (then-do-this-thing)
  (otherwise-do-that-other-thing))
(if x
  yes
  no)
(if x yes
    no)
