(workflow w
  (roles
    (planner :model "gpt-5"))
  (state s
    (terminal)))
