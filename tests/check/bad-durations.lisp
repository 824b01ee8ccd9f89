;; Literal durations are read when the program is checked.
(workflow e
  (roles (r :agent-kind "echo"))
  (state s
    (prompt r "x" :timeout "5 minutes")
    (sleep "10 mins")
    (await (record r) :timeout "soon")
    (poll false :every "often" :timeout -5)
    (shell "ls" :timeout 1.5)
    (terminal)))
