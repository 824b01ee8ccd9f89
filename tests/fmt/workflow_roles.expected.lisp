(workflow demo
  (roles
    (planner :agent-kind "claude-code" :model "opus" :system "You plan.")
    (coder :agent-kind "codex"))
  (state start (terminal)))
