(workflow review-loop
  (roles
    (author :agent-kind "echo")
    (reviewer :agent-kind "echo" :model "m"))
  (def rounds 0)
  (capabilities workspace/read)

  (state draft
    (enter (log "drafting"))
    (goto review))

  (state review
    (let [verdict (prompt reviewer "Review the draft" :timeout "5m")]
      (set! rounds (inc rounds))
      (if (includes? verdict "approve")
        (terminal :completed verdict)
        (if (< rounds 3) (goto draft) (terminal :failed "too many rounds"))))))
