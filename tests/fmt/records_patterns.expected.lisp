(await (record agent-response :field 0 :equals "req-1") :timeout "30s")
(match reply
  {:status "ok" :body ?body} (handle body)
  {:status ?s} (log "bad status" s)
  _ (terminal :failed reply))
(assert (record agent-request
                planner
                "req-42"
                "A long request text that will certainly not fit on one line"))
(let [h (assert (record lock "build"))] (do-work) (retract h))
(send! (record progress
               (gensym)
               :percent 50
               :message "halfway through the long running build step"))
