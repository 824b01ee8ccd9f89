;; The built-in workflow of `duet agent chat`: one role whose conversation lasts across
;; calls. Each message comes in as the answer to the run's question; the reply is printed.
;; A failed call adds nothing to the conversation and the chat goes on with the next message.
(workflow chat
  (roles (agent :agent-kind "echo"))
  (state listen
    (let [message (ask-user "the next message")]
      (try
        (println (prompt agent message))
        (catch _failed nil))
      (goto listen))))
