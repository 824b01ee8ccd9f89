(match msg
  (record ping ?n) (send! (record pong n))
  (record stop) (terminal)
  _ (log "unknown message" msg))
(match v
  [?a ?b] (+ a b)
  {:k ?k} k
  'sym :symbol
  _ nil)
