(workflow w
  (state start
    (goto done))
  (state done
    (terminal))
  (state done
    (terminal :failed)))
