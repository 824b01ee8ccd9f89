(def greeting "こんにちは世界 — héllo wörld ✓ 😀")
(defn 名前 [値] (str "名前: " 値))
(println "emoji \u{1F600} escapes" "tab\there" "quote \" inside")
(def λ (fn [x] x))
(def café
  {:naïve "résumé"
   :emoji "🎉🎉🎉"
   :width "counts characters not bytes so this line stays"})
