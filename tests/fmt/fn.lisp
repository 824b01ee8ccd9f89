(map (fn [x] (* x 2)) [1 2 3])
(def handler (fn handle-event [event] (match event (record click ?x ?y) (log "click" x y) (record key ?k) (log "key" k) _ nil)))
(filter (fn [item]
(and (some? item)
(not (empty? item))))
items)
