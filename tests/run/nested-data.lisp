(def config {:agents [{:name "planner" :model "big"}
                      {:name "coder" :model "small"}]
             :limits {:steps 100 :depth [1 2 {:deep true}]}})
(println (get (first (get config :agents)) :name))
(println (get (nth (get (get config :limits) :depth) 2) :deep))
(println (map (fn [a] (get a :model)) (get config :agents)))
(println config)
