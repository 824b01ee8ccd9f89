(def answer 42)
(def greeting
  "hello")
(def a-rather-long-configuration-name
  (merge default-configuration user-configuration overrides))
(def nested
  {:retries 3
   :backoff {:initial "1s" :max "30s" :factor 2}
   :agents ["claude-code" "codex"]})
