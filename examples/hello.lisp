;; A tour of the language as a script: `duet run examples/hello.lisp`.

(defn greet
  "A greeting for `name`."
  [name]
  (format "hello, {}!" name))

(println (greet "duet"))

;; Closures that capture and mutate.
(defn make-counter []
  (let [n 0]
    (fn []
      (set! n (inc n))
      n)))

(def tick (make-counter))
(tick)
(tick)
(println "counted to" (tick))

;; Macros run at compile time on the same VM.
(defmacro unless-empty [coll & body]
  `(if (empty? ,coll) :nothing (do ,@body)))

(println (unless-empty [1 2 3] (reduce + [1 2 3])) (unless-empty [] :never))

;; Records and pattern matching: the shapes the dataspace carries.
(defn describe [message]
  (match message
    (record agent-response ?id ?reply) (str id " answered: " reply)
    (record agent-request _ ?id _) (str id " is waiting")
    _ "something else"))

(println (describe (record agent-response "req-1" "a plan")))
(println (describe (record agent-request "planner" "req-2" "draft")))

;; Errors are values; `try` catches what `throw` raises.
(defn safe-divide [a b]
  (try
    (/ a b)
    (catch e (str "cannot divide: " (field e 1)))))

(println (safe-divide 10 4) (safe-divide 1 0))

;; The prelude: collections, strings, higher-order functions, JSON.
(def tasks
  [{:name "plan" :hours 3} {:name "build" :hours 8} {:name "review" :hours 2}])
(println (map (fn [t] (get t :name)) (sort-by (fn [t] (get t :hours)) tasks)))
(println (json-encode {:total (reduce + (map (fn [t] (get t :hours)) tasks))}))

;; Proper tail calls: a million iterations in constant space.
(defn count-down [n]
  (if (= n 0)
    :lift-off
    (count-down (dec n))))

(println (count-down 1000000))
