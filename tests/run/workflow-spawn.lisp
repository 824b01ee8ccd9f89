;; `spawn` runs a body concurrently in a facet of its own; `stop` ends the facet and the
;; facets spawned inside it, retracting everything they asserted (stopping twice does
;; nothing). A facet whose body returned keeps its assertions until it is stopped; leaving
;; the state stops every facet.
(workflow spawner
  (def seen [])

  (state start
    (on-asserted (record beacon ?n) (set! seen (conj seen [:on n])))
    (on-retracted (record beacon ?n) (set! seen (conj seen [:off n])))
    (let [outer (spawn
                  (assert (record beacon 1))
                  (spawn (assert (record beacon 2)))
                  (await (record go))
                  (assert (record beacon 3)))]
      (assert (record go))
      (await (record beacon 3))
      (stop outer)
      (stop outer))
    (spawn (assert (record beacon 4)))
    (assert (record settled))
    (await (record settled))
    (println seen)
    (goto after))

  (state after
    (on-asserted (record beacon ?n) (println "still asserted:" n))
    (spawn (println "a facet in the new state") (assert (record done)))
    (await (record done))
    (println "done")
    (terminal)))
