(workflow pipeline
  (roles
    (worker :agent-kind "echo"))
  (def attempts 0)
  (state start
    (enter (log "entering start"))
    (action (set! attempts (+ attempts 1)))
    (await (record job-ready ?id))
    (goto run))
  (state run
    (let [reply (prompt worker (str "Run job " id))]
      (if (ok? reply) (goto done) (goto start))))
  (state done
    (terminal :completed attempts)))
