(workflow pair
  (roles
    (planner :agent-kind "echo")
    (coder :agent-kind "echo"))
  (state start
    (println (prompt planer "Draft a plan"))
    (println (prompt reviewer "Review it"))
    (terminal)))
