;; Grüße an alle 👋
(def grüße "héllo wörld 🌍")
(println grüße (größe 1))
