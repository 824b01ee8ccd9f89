;; std/text: small helpers for the text agents send and receive.

(defn lines
  "The lines of `s`, split at newlines."
  [s]
  (split s "\n"))

(defn blank?
  "True when `s` is nil, empty or only whitespace."
  [s]
  (or (nil? s) (empty? (trim s))))

(defn indent
  "Every line of `s` with `prefix` in front."
  [prefix s]
  (join "\n" (map (fn [line] (str prefix line)) (lines s))))
