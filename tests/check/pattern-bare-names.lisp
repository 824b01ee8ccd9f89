(workflow w
  (roles (planner :agent-kind "echo"))
  (state start
    (assert (record agent-request "r1" "Draft a plan"))
    (await (record agent-response id reply))
    (log id reply)
    (terminal)))
