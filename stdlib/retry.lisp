;; std/retry: run an action again when it fails, waiting longer each time.

(defn retry
  "Calls `f` with no arguments until it returns without throwing, at most
  `attempts` times, and rethrows the last error. Between tries it sleeps (a
  durable timer in a workflow) with exponential backoff: `:backoff` before the
  second try (default \"1s\"), doubling each time up to `:max-backoff` (default
  \"60s\"), less a random part of up to half of it (jitter: recorded, so a replay
  waits the same). Durations are text like \"500ms\" or \"30s\", or milliseconds."
  [attempts f & options]
  (let [opts (apply hash-map options)
        ms (fn [d]
             (if (= (type-of d) :int)
               d
               (let [units [["ms" 1]
                            ["s" 1000]
                            ["m" 60000]
                            ["h" 3600000]
                            ["d" 86400000]]
                     unit (first (filter (fn [u] (ends-with? d (nth u 0)))
                                         units))]
                 (if (nil? unit)
                   (throw (error (str "`retry`: "
                                      d
                                      " is not a duration like \"500ms\" or \"30s\"")))
                   (* (json-decode (subs d
                                         0
                                         (- (count d) (count (nth unit 0)))))
                      (nth unit 1))))))
        most (ms (get opts :max-backoff "60s"))]
    (loop [left attempts
           delay (ms (get opts :backoff "1s"))]
      (let [outcome (try {:ok (f)} (catch e {:error e}))]
        (if (contains? outcome :ok)
          (get outcome :ok)
          (if (<= left 1)
            (throw (get outcome :error))
            (let [wait (min delay most)
                  jitter (if (> (quot wait 2) 0) (random-int (quot wait 2)) 0)]
              (sleep (- wait jitter))
              (recur (dec left) (* delay 2)))))))))
