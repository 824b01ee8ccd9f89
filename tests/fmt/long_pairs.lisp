(defn classify [x]
  (cond
    (and (> x 100) (< x 1000) (not (= x 500))) (str "a medium-large number: " x)
    (< x 0) "negative"
    :else (str "small")))

(defn m [v]
  (match v
    (record agent-response ?id ?reply) (println "the agent answered" id "with" reply)
    _ nil))
(defn g [request-from-the-user]
  (cond
    (some-predicate-with-a-long-name? request-from-the-user) (handle-the-request request-from-the-user)
    :else nil))
