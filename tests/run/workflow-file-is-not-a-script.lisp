(workflow w
  (state s
    (terminal)))
