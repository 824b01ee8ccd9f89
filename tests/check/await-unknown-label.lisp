(workflow w
  (roles (planner :agent-kind "echo"))
  (state start
    (assert (record agent-request "r1" "Draft a plan"))
    (await (record agent-respnse ?id ?reply))
    (log id reply)
    (on-asserted (record ping ?x) (log x))
    (terminal)))
