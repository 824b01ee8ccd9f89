(workflow empty
  (roles (planner :agent-kind "echo")))
