(prompt reviewer
        (format "Please review the following change carefully: {}" diff)
        :schema review-schema
        :timeout "5m")
(shell "cargo clippy --all-targets -- -D warnings"
       :cwd "/work/project"
       :timeout "10m"
       :env {:RUST_LOG "debug"})
(ask-user "Which option do you prefer for the deployment target?"
          :options ["staging" "production"])
(terminal :failed (str "timed out waiting for the reviewer after "
                       attempts
                       " attempts"))
