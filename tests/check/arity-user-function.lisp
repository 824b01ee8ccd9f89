(println (area 3))

(defn area [w h]
  (* w h))

(defn log-all [level & messages]
  (println level messages))

(log-all)
