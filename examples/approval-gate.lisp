;; A person approves before anything is deployed. At a terminal the question is asked
;; there; otherwise the run waits (exit 3) until `duet answer RUN yes`.

(workflow approval-gate
  (roles
    (writer :agent-kind "claude-code"))

  (state prepare
    (println "release notes:" (prompt writer "Summarise the release"))
    (goto approve))

  (state approve
    (let [answer (ask-user "Deploy this release?" :options ["yes" "no"])]
      (if (= (lower (trim answer)) "yes")
        (goto deploy)
        (terminal :cancelled "not approved"))))

  (state deploy
    (println "deploying")
    (terminal)))
