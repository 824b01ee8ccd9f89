(workflow w
  (roles (agent :agent-kind "echo"))
  (state start
    (assert (record agent-request agent "req-1" "hello"))
    (await (record agent-response "req-1" ?reply))
    (println reply)
    (match reply
      "echo: hello" (terminal :completed reply)
      _ (terminal :failed reply))))
