;; JSON: build a document of 6,000 records (about 1 MB encoded), encode it, decode the text,
;; encode the result again and check the two texts are the same.
(defn item [i]
  {:id i
   :name (str "item-" i)
   :tags ["alpha" "beta" "gamma"]
   :score (mod (* i 7) 100)
   :active (even? i)
   :owner {:name (str "owner-" (mod i 50))
           :email (str "o" (mod i 50) "@example.com")}
   :notes "a note that makes the record about the size of a typical one"})
(def doc
  {:version 1
   :records (loop [i 0 acc []]
              (if (< i 6000) (recur (inc i) (conj acc (item i))) acc))})
(def text (json-encode doc))
(def again (json-encode (json-decode text)))
(println (if (= text again) (count text) -1))
