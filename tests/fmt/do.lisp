(do (println "one") (println "two"))
(do (log "starting the long running job now") (run-job job) (log "finished the long running job"))
(do
(a)
        (b))
