(import std/text)

(defn ask-for-plan [role task]
  (prompt role
          (format "Plan the following task step by step:\n{}" task)
          :schema {:type "object" :required ["steps"]}
          :timeout "10m"))

(workflow plan-and-build
  (roles
    (planner :agent-kind "claude-code" :system "You write plans.")
    (builder :agent-kind "codex"))
  (capabilities shell workspace/write)

  (state plan
    (let [plan (ask-for-plan planner "Add OAuth to the CLI")]
      (assert (record plan-ready plan))
      (goto build)))

  (state build
    (await (record plan-ready ?plan))
    (let [results (parallel
                    (shell "cargo build" :timeout "20m")
                    (prompt builder (str "Implement: " (json-encode plan))))]
      (if (every? ok? results)
        (terminal :completed results)
        (terminal :failed results)))))
