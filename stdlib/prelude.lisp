;; The part of the prelude written in Duet. The compiler routes the builtins `map`,
;; `filter`, `reduce` and `sort-by` to these definitions, so they run on the VM like any
;; other code: no Rust recursion, and calls to the functions they are given are ordinary
;; calls that the step budget and the stack limit see. The loop over the elements is
;; `%iterate`, which the VM runs without an instruction per step (docs/vm.md).

(defn %any-empty? [lists]
  (loop [xs lists]
    (cond
      (empty? xs) false
      (empty? (first xs)) true
      :else (recur (rest xs)))))

(defn %map-1 [f xs]
  (%iterate :map f (%to-list xs) () false nil))

(defn %map [f coll & colls]
  (if (empty? colls)
    (%map-1 f coll)
    (loop [lists (%map-1 %to-list (cons coll colls)) acc ()]
      (if (%any-empty? lists)
        (reverse acc)
        (recur (%map-1 rest lists)
               (cons (apply f (%map-1 first lists)) acc))))))

(defn %filter [pred coll]
  (%iterate :filter pred (%to-list coll "filter") () false nil))

(defn %fold [f acc xs]
  (%iterate :fold f xs acc false nil))

(defn %reduce [f x & more]
  (if (empty? more)
    (let [xs (%to-list x "reduce")]
      (if (empty? xs) (f) (%fold f (first xs) (rest xs))))
    (%fold f x (%to-list (first more) "reduce"))))

(defn %sort-by [keyfn coll]
  (%sort-by-key (%map-1 (fn [x] [(keyfn x) x]) (%to-list coll "sort-by"))))
