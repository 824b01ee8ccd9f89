;; `prompt :schema` returns the reply as data checked against a JSON Schema. An echo agent
;; answers with an instance made up from the schema, so dry runs get through; a schema that
;; is not one is a type error at the prompt.
(workflow planned
  (roles (planner :agent-kind "claude-code"))
  (state plan
    (let [plan (prompt planner "Plan the OAuth work"
                 :schema {:type :object
                          :required ["title" "steps"]
                          :properties {:title {:type :string :default "OAuth"}
                                       :steps {:type :array
                                               :minItems 2
                                               :items {:type :string
                                                       :default "a step"}}}})]
      (println (get plan "title") (get plan "steps")))
    (println "bad schema:" (try (prompt planner "x" :schema {:type 12})
                                (catch e (field e 0))))
    (terminal)))
