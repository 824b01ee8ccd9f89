(workflow commented ; the workflow
  ;; roles first
  (roles
    ; the only role
    (worker :agent-kind "echo")) ; end of roles

  ;; the only state
  (state start ; trailing after name
    (enter (log "hi")) #| block after form |#
    #;(action (disabled))
    (terminal) ; done
    ))
