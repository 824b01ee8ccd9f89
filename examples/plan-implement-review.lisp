;; A planner drafts, an implementer builds, a reviewer approves or sends the work back.
;; The review comes back as data checked against a JSON Schema.
;; Dry-run offline: `duet run --agents echo examples/plan-implement-review.lisp`.

(def review-schema
  {:type :object
   :required ["verdict" "problems"]
   :properties {:verdict {:enum ["approve" "changes"]}
                :problems {:type :array :items {:type :string}}}})

(workflow plan-implement-review
  (roles
    (planner :agent-kind "claude-code"
             :system "You write short, concrete plans.")
    (implementer :agent-kind "codex")
    (reviewer :agent-kind "claude-code"
              :system "You review code changes strictly."))
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
          review (prompt reviewer (str "Review this work:\n" work)
                   :schema review-schema)]
      (println "round" rounds "review:" (get review "verdict")
               (get review "problems"))
      (cond
        (= (get review "verdict") "approve") (goto done)
        (< rounds 3) (goto implement)
        :else (terminal :failed "no approval after three rounds"))))

  (state done
    (terminal :completed {:rounds rounds})))
