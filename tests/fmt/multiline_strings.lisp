(def prompt-text "You are a careful reviewer.
Read the diff below and answer
with a JSON object.")
(prompt reviewer "Line one
line two" :timeout "5m")
(log (str "a" "multi
line" "b"))
