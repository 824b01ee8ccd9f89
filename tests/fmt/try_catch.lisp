(try (risky) (catch e (log "failed" e) nil))
(try (/ a b) (catch e (log "division failed, returning zero instead" e) 0) (finally (log "cleanup")))
(try
(do-something)
  (catch e
     (handle e))
      (finally
   (cleanup)))
(throw (error "bad input" {:input x}))
