;; A map literal with the same constant key twice loses an entry: an error.
(def config {:retries 3 :timeout "10s" :retries 5})
(println {[1 2] :a "k" :b [1 2] :c})
(println {:a 1 1 :int 1.0 :float})
