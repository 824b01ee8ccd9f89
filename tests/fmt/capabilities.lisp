(workflow build (capabilities shell workspace/read workspace/write) (roles (builder :agent-kind "codex")) (state go (shell "make") (terminal)))
