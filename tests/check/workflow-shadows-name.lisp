(def limit 3)

(workflow w
  (roles
    (planner :agent-kind "echo")
    (limit-checker :agent-kind "echo"))
  (def planner "p")
  (def limit 10)
  (state start
    (log planner limit)
    (terminal)))
