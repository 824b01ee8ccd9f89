(println (try (shell "echo no") (catch e [(field e 0) (field e 1)])))
(println (try (read-file "data/notes.txt") (catch e (field e 0))))
(write-file "data/x.txt" "denied")
