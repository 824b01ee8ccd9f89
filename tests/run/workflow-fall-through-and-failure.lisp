;; States fall through to the next one; `(terminal :failed …)` fails the run (exit 1).
(workflow w
  (state one
    (println "one"))

  (state two
    (println "two")
    (terminal :failed "the second state gave up")))
