(log "this goes to the run's log, not standard output")
(println "only this is on standard output")
