#!/usr/bin/env python3
"""Writes about N bytes (default 5,000,000) of realistic Duet source to standard output for
the formatter benchmark: functions, macros, data and workflows with roles and states, with
comments, and with a mix of tidy layout, long one-line forms the formatter must break, and
badly indented code it must re-indent."""
import sys

target = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000


def chunk(i: int) -> str:
    tidy = f""";; helpers, part {i}
(defn score-{i} [reply weight]
  (let [words (split reply " ")
        n (count words)]
    (if (> n {i % 50 + 1})
      (* weight n) ; long replies score by length
      (reduce + 0 (map (fn [w] (count w)) words)))))

"""
    one_line = (
        f"(defn summarize-{i} [items] (loop [xs items acc []] (if (empty? xs) "
        f"(join \", \" acc) (recur (rest xs) (conj acc (str (first xs) \"-{i}\"))))))\n"
        f"(def config-{i} {{:name \"review-{i}\" :agents [\"claude-code\" \"codex\" \"echo\"] "
        f":timeout \"30m\" :retries {i % 5} :limits {{:steps 10000 :time \"1h\"}}}})\n\n"
    )
    messy = f"""(workflow review-{i}
 (roles (author :agent-kind "echo") (reviewer :agent-kind "echo" :model "m-{i}"))
    (def rounds 0)
  #| drafting state |#
  (state draft
        (enter (log "drafting {i}"))
   (let [plan (prompt author (format "Draft plan {{}} for the change" {i}) :timeout "5m" :schema {{:type "object"}})]
          (println (summarize-{i} [plan "extra"])))
      (goto review))
  (state review
    (assert (record agent-request reviewer "req-{i}"
                "Review the plan and answer approve or reject"))
    (await (record agent-response "req-{i}" ?verdict))
    (set! rounds (inc rounds))
    (cond (includes? verdict "approve") (terminal :completed verdict)
          (> rounds 3) (terminal :failed "too many rounds")
          :else (goto draft))))


"""
    return tidy + one_line + messy


out = []
size = 0
i = 0
while size < target:
    piece = chunk(i)
    out.append(piece)
    size += len(piece.encode())
    i += 1
sys.stdout.write("".join(out))
