;; An assertion that is already in the dataspace satisfies an `await` at once.
(workflow w
  (state publish
    (assert (record config :mode "fast"))
    (goto read))

  (state read
    (await (record config :mode ?mode))
    (println "mode is" mode)
    (terminal)))
