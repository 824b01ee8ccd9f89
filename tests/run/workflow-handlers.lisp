;; `on-asserted`, `on-retracted` and `on-message` run a handler for each matching event,
;; with the pattern's variables bound, for as long as the state lasts.
(workflow watch
  (def seen [])

  (state listen
    (on-asserted (record task ?name)
      (set! seen (conj seen [:added name])))
    (on-retracted (record task ?name)
      (set! seen (conj seen [:removed name])))
    (on-message (record ping ?n)
      (set! seen (conj seen [:ping n])))
    (let [a (assert (record task "build"))]
      (assert (record task "test"))
      (send! (record ping 1))
      (retract a))
    (assert (record ready))
    (await (record ready))
    (goto report))

  (state report
    (assert (record task "after the state changed"))
    (println seen)
    (terminal)))
