;; Vectors and maps are persistent: `conj`, `assoc` and `dissoc` return new versions and
;; leave the old ones as they were; maps keep their keys in insertion order at any size
;; (small maps are searched key by key, larger ones through a hash index).
(def v0 [1 2 3])
(def v1 (conj v0 4))
(def v2 (assoc v1 0 :zero))
(println v0 v1 v2 (assoc v0 3 :appended))
(def big (loop [i 0 v []] (if (< i 5000) (recur (inc i) (conj v i)) v)))
(def big2 (assoc big 2500 :changed))
(println (count big) (nth big 2500) (nth big2 2500) (nth big 4999) (= big big2))
(println (= big (apply vector (range 5000))) (= big (range 5000)))

(defn build [n]
  (loop [i 0 m {}] (if (< i n) (recur (inc i) (assoc m (str "k" i) i)) m)))
(def m20 (build 20))
(def m20b (dissoc (assoc m20 "k3" :three "new" 1) "k0" "k1" "absent"))
(println (keys (build 4)))
(println (count m20)
         (get m20 "k3")
         (get m20b "k3")
         (get m20b "k0" :gone)
         (contains? m20 "k0"))
(defn last-key [m] (first (reverse (keys m))))
(println (first (keys m20b)) (last-key m20b))
;; Re-adding a removed key puts it at the end.
(println (last-key (assoc m20b "k0" 0)))
;; Keys compare as `=` does: 1 and 1.0 differ, 0.0 and -0.0 do not, equal vectors and lists
;; are one key, at every size.
(defn keyed [m]
  (assoc (assoc m 1 :int 1.0 :float 0.0 :zero [1 2] :vec)
         -0.0
         :negzero '(1 2)
         :list))
(def small (keyed {}))
(def large (keyed (build 30)))
(println small)
(println (get large 1)
         (get large 1.0)
         (get large 0.0)
         (get large [1 2])
         (count large))
;; Structural equality ignores order and sharing.
(println (= (build 40)
            (reduce (fn [m i] (assoc m (str "k" i) i))
                    {}
                    (reverse (range 40)))))
(println (= (build 40) (assoc (build 40) "k39" 0))
         (= m20 (dissoc (assoc m20 "x" 1) "x")))
;; Removing most keys of a large map, one by one, keeps the rest findable and in order.
(def thinned (reduce (fn [m i] (dissoc m (str "k" i))) (build 100) (range 95)))
(println (keys thinned) (get thinned "k97") (get thinned "k3" :gone))
