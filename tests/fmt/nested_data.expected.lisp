(def config
  {:agents [{:name "planner" :kind "claude-code" :tools ["read" "write"]}
            {:name "coder" :kind "codex" :tools []}]
   :limits {:steps 10000 :time "1h"}})
(def matrix [[1 0 0] [0 1 0] [0 0 1]])
