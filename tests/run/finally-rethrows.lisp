(def steps [])
(defn step! [x] (set! steps (conj steps x)))
(try
  (try
    (step! :body)
    (throw (error "inner"))
    (catch _e (step! :caught) (throw (error "from handler")))
    (finally (step! :finally)))
  (catch e (step! (str "outer saw: " (field e 1)))))
(println steps)
