;; Role options are literals read when the run starts; a kind must exist.
(def chosen-model "gpt-4o")

(workflow review
  (roles
    (planner :agent-kind "claud-code" :model chosen-model)
    (critic :agent-kind "openai" :max-tokens -5 :args ["--fast" 3])
    (helper :agent-kind "ollama" :temperature "warm" :timeout "10m")
    (waiter :agent-kind "codex" :timeout "soon"))
  (state start
    (println (prompt planner "plan"))
    (println (prompt critic "critique"))
    (println (prompt helper "help"))))
