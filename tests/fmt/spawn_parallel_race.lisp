(spawn (on-message (record ping ?n) (send! (record pong n))))
(def results (parallel (shell "cargo test --workspace" :timeout "10m") (shell "cargo clippy --all-targets" :timeout "10m") (prompt reviewer "Review the diff")))
(race (sleep "30s") (await (record done _)))
(let [f (spawn (loop [] (sleep "1s") (recur)))] (stop f))
