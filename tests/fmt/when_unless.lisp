(when (> (count items) 0) (log "processing") (process items) (log "done processing all the items in the list"))
(unless done?
(log "not done")
    (goto retry))
(when ok (println "short"))
