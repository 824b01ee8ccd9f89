;; A planner drafts, an implementer builds, a reviewer approves or sends the work back.
;; Dry-run offline: `duet run --agents echo examples/plan-implement-review.lisp`.

(defn approved? [verdict]
  (or (includes? (lower verdict) "approve") (includes? (lower verdict) "lgtm")))

(workflow plan-implement-review
  (roles
    (planner :agent-kind "claude-code"
             :system "You write short, concrete plans.")
    (implementer :agent-kind "codex")
    (reviewer :agent-kind "claude-code"
              :system "Answer APPROVE or list the problems."))
  (def task "Add OAuth login to the CLI")
  (def plan nil)
  (def rounds 0)

  (state plan
    (enter (log "planning:" task))
    (set! plan (prompt planner (str "Plan this task in five steps: " task)))
    (goto implement))

  (state implement
    (set! rounds (inc rounds))
    (log "round" rounds)
    (let [work (prompt implementer (str "Implement this plan:\n" plan))
          verdict (prompt reviewer
                          (str "Reply APPROVE if this work is done:\n" work))]
      (println "round" rounds "review:" verdict)
      (cond
        (approved? verdict) (goto done)
        (< rounds 3) (goto implement)
        :else (terminal :failed "no approval after three rounds"))))

  (state done
    (terminal :completed {:rounds rounds})))
