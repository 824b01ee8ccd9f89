(state watch
  (on-asserted (record file-changed ?path) (log "changed" path) (rebuild path))
  (on-retracted (record worker ?id) (log "worker gone" id))
  (on-message (record tick ?n) (when (> n 10) (goto done))))
