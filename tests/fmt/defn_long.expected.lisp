(defn summarize-results [results threshold]
  (let [passed (filter (fn [r] (>= (get r :score) threshold)) results)
        failed (filter (fn [r] (< (get r :score) threshold)) results)]
    (log (format "{} passed, {} failed" (count passed) (count failed)))
    {:passed passed :failed failed}))
