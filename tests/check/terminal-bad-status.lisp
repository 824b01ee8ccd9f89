(workflow w
  (state s
    (terminal :done "result")))
