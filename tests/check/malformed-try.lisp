(try
  (catch e (println e))
  (println "body after catch"))
(try (println 1) (catch "e" 2))
