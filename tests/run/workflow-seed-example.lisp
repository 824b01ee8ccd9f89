;; The seed program of the language reference, with a print in each state.
(workflow ping-pong
  (roles
    (planner :agent-kind "claude-code")
    (implementer :agent-kind "claude-code"))

  (state start
    (enter (log "Planner drafts the task"))
    (action
      (assert (record agent-request
                      "req-1"
                      "Draft a plan for adding OAuth to the CLI")))
    (println (await (record agent-response :field 0 :equals "req-1")))
    (goto implement))

  (state implement
    (action
      (assert (record agent-request
                      "req-2"
                      "Please expand this into actionable steps")))
    (println (await (record agent-response :field 0 :equals "req-2")))
    (terminal)))
