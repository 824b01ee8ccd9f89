;; std/retry: run an action again when it fails.

(defn retry
  "Calls `f` with no arguments until it returns without throwing, at most
  `attempts` times, and rethrows the last error."
  [attempts f]
  (loop [left attempts]
    (let [outcome (try {:ok (f)} (catch e {:error e}))]
      (if (contains? outcome :ok)
        (get outcome :ok)
        (if (<= left 1)
          (throw (get outcome :error))
          (recur (dec left)))))))
