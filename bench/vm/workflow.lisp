;; A workflow-shaped loop: 20,000 task records are built, matched on their status, and
;; stored in a map by id and in a transcript vector, as a run's state is.
(defn task [i]
  {:id (str "task-" i)
   :status (if (= 0 (mod i 3)) :failed :done)
   :attempt (mod i 4)
   :output (str "result " i)})

(defn step [state i]
  (let [t (task i)
        entry (match t
                {:status :failed :attempt ?n} [:retry (get t :id) n]
                {:status :done :output ?out} [:ok (get t :id) (count out)])]
    {:tasks (assoc (get state :tasks) (get t :id) t)
     :transcript (conj (get state :transcript) entry)
     :retries (if (= :retry (first entry))
                (inc (get state :retries))
                (get state :retries))}))

(def final (reduce step {:tasks {} :transcript [] :retries 0} (range 20000)))
(println (+ (count (get final :tasks)) (count (get final :transcript))
            (get final :retries)
            (nth (nth (get final :transcript) 19999) 2)))
