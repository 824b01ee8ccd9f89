(workflow w
  (state a (terminal)))

(workflow w
  (state b (terminal)))
