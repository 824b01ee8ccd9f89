;; Three agents try the same task at once, each in a private copy of the workspace; a judge
;; reads their diffs and picks one, whose changes are adopted into the workspace.
;; Dry-run offline: `duet run --agents echo examples/best-of-three.lisp`.

(def task "Write a function that parses ISO 8601 durations")

(defn pick
  "The attempt the judge's reply names: its first digit, if it is 1 to n; else 1."
  [reply n]
  (let [digits (filter (fn [c] (includes? "123456789" c)) (str reply))
        number (if (empty? digits) 1 (json-decode (first digits)))]
    (if (<= number n) number 1)))

(workflow best-of-three
  (roles
    (alice :agent-kind "claude-code")
    (bob :agent-kind "codex")
    (carol :agent-kind "claude-code" :model "haiku")
    (judge :agent-kind "claude-code"
           :system "Reply with the number of the best attempt."))

  (state attempt
    (let [attempts (parallel
                     (isolated (prompt alice task))
                     (isolated (prompt bob task))
                     (isolated (prompt carol task)))
          numbered (map (fn [i]
                          (let [a (nth attempts i)]
                            (str "Attempt " (inc i) ":\n" (attempt-value a)
                                 "\nChanges:\n" (attempt-diff a))))
                        (range (count attempts)))
          choice (pick (prompt judge (join "\n\n" numbered)) (count attempts))
          adopted (adopt (nth attempts (dec choice)))]
      (println "the judge chose attempt" choice "changing" adopted)
      (terminal :completed {:attempts (count attempts) :choice choice}))))
