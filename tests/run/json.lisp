(def data
  (json-decode "{\"name\": \"duet\", \"tags\": [\"lisp\", \"agents\"], \"stars\": 42, \"ratio\": 0.5, \"meta\": null, \"ok\": true}"))
(println data)
(println (get data "name") (get (get data "tags") 1))
(println (json-encode {:a 1 :b [true nil "x"] :c {:nested 2.5}}))
(println (json-encode data))
(println (try (json-decode "{bad json") (catch e (field e 0))))
