(workflow w
  (roles
    (planner :agent-kind "echo" :modle "gpt-5"))
  (state s
    (terminal)))
