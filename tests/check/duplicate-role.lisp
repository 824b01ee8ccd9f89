(workflow w
  (roles
    (planner :agent-kind "echo")
    (planner :agent-kind "claude-code"))
  (state start
    (terminal)))
