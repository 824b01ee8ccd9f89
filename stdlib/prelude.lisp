;; The part of the prelude written in Duet. The compiler routes the builtins `map`,
;; `filter`, `reduce` and `sort-by` to these definitions, so they run on the VM like any
;; other code: no Rust recursion, and calls to the functions they are given are ordinary
;; calls that the step budget and the stack limit see.

(defn %any-empty? [lists]
  (loop [xs lists]
    (cond
      (empty? xs) false
      (empty? (first xs)) true
      :else (recur (rest xs)))))

(defn %map-1 [f xs]
  (loop [xs (%to-list xs) acc ()]
    (if (empty? xs)
      (reverse acc)
      (recur (rest xs) (cons (f (first xs)) acc)))))

(defn %map [f coll & colls]
  (if (empty? colls)
    (%map-1 f coll)
    (loop [lists (%map-1 %to-list (cons coll colls)) acc ()]
      (if (%any-empty? lists)
        (reverse acc)
        (recur (%map-1 rest lists)
               (cons (apply f (%map-1 first lists)) acc))))))

(defn %filter [pred coll]
  (loop [xs (%to-list coll) acc ()]
    (cond
      (empty? xs) (reverse acc)
      (pred (first xs)) (recur (rest xs) (cons (first xs) acc))
      :else (recur (rest xs) acc))))

(defn %fold [f acc xs]
  (if (empty? xs)
    acc
    (recur f (f acc (first xs)) (rest xs))))

(defn %reduce [f x & more]
  (if (empty? more)
    (let [xs (%to-list x)]
      (if (empty? xs) (f) (%fold f (first xs) (rest xs))))
    (%fold f x (%to-list (first more)))))

(defn %sort-by [keyfn coll]
  (%sort-by-key (%map-1 (fn [x] [(keyfn x) x]) coll)))
