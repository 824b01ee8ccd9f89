(defmacro unless2 [c & body] `(if ,c nil (do ,@body)))
(defmacro with-logging [name & body]
  `(do (log "start" ,name) (let [result (do ,@body)] (log "end" ,name) result)))
(defmacro swap [a b]
  `(let [tmp ,a]
     (set! ,a ,b)
     (set! ,b tmp)))
