;; A role's :retries is a whole number, 0 or more.
(workflow d
  (roles (r :agent-kind "echo" :retries "three"))
  (state s
    (terminal)))
