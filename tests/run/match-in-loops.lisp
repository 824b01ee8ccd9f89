(defn tally [events]
  (loop [es events ok 0 bad 0]
    (if (empty? es)
      {:ok ok :bad bad}
      (match (first es)
        (record done ?_) (recur (rest es) (inc ok) bad)
        (record failed ?_) (recur (rest es) ok (inc bad))
        _ (recur (rest es) ok bad)))))
(println (tally [(record done 1) (record failed 2) (record done 3) :noise]))
