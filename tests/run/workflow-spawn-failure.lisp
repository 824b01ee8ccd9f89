;; An error nobody catches in a `spawn`ed body fails the run; `stop` of something that is
;; not a facet is a type error the workflow can catch.
(workflow broken
  (state start
    (println (try (stop 42) (catch e (field e 1))))
    (spawn (assert (record working)) (/ 1 0))
    (await (record never))))
