;; The interpreter's fast loop takes the common cases and leaves the rest to the full loop
;; (runtime/vm/src/run/fast.rs): each line below makes it leave or stop mid-loop in another
;; way, and the run goes on as if one loop had run it all.

;; A fused `+` that overflows inside a loop: the error, caught.
(println (try (loop [i 0 n 1] (if (< i 100) (recur (inc i) (+ n n)) n))
              (catch e (field e 0))))
;; Floats through the integer instructions: the general path computes them.
(println (loop [i 0 x 0.5] (if (< i 4) (recur (inc i) (+ x i)) x)))
;; A builtin that raises inside a loop, caught around the loop.
(println (try (loop [i 0] (if (< i 10) (recur (+ i (count (str i)))) (count 5)))
              (catch e (field e 0))))
;; A builtin that asks the host for something (printing) on every round.
(loop [i 0] (when (< i 3) (print i "") (recur (inc i))))
(println)
;; Deep non-tail recursion: the stack grows past the room it had.
(defn depth [n] (if (= n 0) 0 (+ 1 (depth (- n 1)))))
(println (depth 50000))
;; A closure called with the wrong number of arguments: the full loop's error.
(println (try ((fn [a _b] a) 1) (catch e (field e 0))))
