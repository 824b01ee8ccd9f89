(defn make-counter []
  (let [n 0]
    (fn []
      (set! n (inc n))
      n)))
(def c1 (make-counter))
(def c2 (make-counter))
(c1)
(c1)
(println (c1) (c2))
(defn make-account [balance]
  (let [deposit (fn [x] (set! balance (+ balance x)) balance)
        read (fn [] balance)]
    [deposit read]))
(let [_unused nil
      account (make-account 100)
      deposit (first account)
      read (nth account 1)]
  (deposit 50)
  (deposit 25)
  (println "balance" (read)))
