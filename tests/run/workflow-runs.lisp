;; A workflow file runs its workflow; the corpus plays every role with the echo agent.
(defn shout [s]
  (upper s))

(workflow review
  (roles
    (author :agent-kind "claude-code")
    (reviewer :agent-kind "claude-code"))
  (def rounds 0)

  (state draft
    (enter (log "drafting"))
    (let [plan (prompt author "Draft a plan")]
      (println "author said:" plan))
    (assert (record agent-request reviewer "rev-1" "Review it"))
    (await (record agent-response "rev-1" ?verdict))
    (println "reviewer said:" (shout verdict))
    (set! rounds (inc rounds))
    (if (< rounds 2)
      (goto draft)
      (goto done)))

  (state done
    (println "rounds:" rounds)
    (terminal :completed {:rounds rounds})))
