;; Hand a change to CI and poll its status until it is green, sleeping durably between
;; checks: a run killed while it sleeps wakes at the same moment after `duet resume`.
;; The status comes from a file here (`ci-status.txt`), so the example runs offline:
;; `echo green > ci-status.txt; duet run --allow workspace/read --agents echo examples/ci-relay.lisp`

(defn status []
  (trim (try (read-file "ci-status.txt") (catch _e "pending"))))

(workflow ci-relay
  (roles
    (fixer :agent-kind "claude-code"))
  (def checks 0)

  (state wait-for-ci
    (loop []
      (set! checks (inc checks))
      (let [s (status)]
        (log "check" checks "status:" s)
        (cond
          (= s "green") (goto merged)
          (= s "red") (goto fix)
          (>= checks 5) (terminal :failed "CI did not finish in time")
          :else (do (sleep "200ms") (recur))))))

  (state fix
    (println "fix proposed:" (prompt fixer "CI is red; propose a fix"))
    (terminal :failed "CI was red"))

  (state merged
    (println "CI is green after" checks "checks")
    (terminal)))
