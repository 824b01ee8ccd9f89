(workflow w
  (roles (planner :agent-kind "echo"))
  (state a
    (action (log "x")
    (goto b))
  (state b
    (log planner)
    (terminal)))
