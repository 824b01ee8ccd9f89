#!/usr/bin/env python3
"""Writes a realistic Duet program of about N lines (default 10,000) to standard output:
helper functions, macros, data, and workflows with roles and states."""
import sys

target = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
out = []
i = 0
while len(out) < target:
    out += [
        f";; helpers, part {i}",
        f"(defn score-{i} [reply weight]",
        f"  (let [words (split reply \" \")",
        f"        n (count words)]",
        f"    (if (> n {i % 50 + 1})",
        f"      (* weight n)",
        f"      (reduce + 0 (map (fn [w] (count w)) words)))))",
        "",
        f"(defn summarize-{i} [items]",
        f"  (loop [xs items acc []]",
        f"    (if (empty? xs)",
        f"      (join \", \" acc)",
        f"      (recur (rest xs) (conj acc (str (first xs) \"-{i}\"))))))",
        "",
        f"(workflow review-{i}",
        f"  (roles",
        f"    (author :agent-kind \"echo\")",
        f"    (reviewer :agent-kind \"echo\" :model \"m-{i}\"))",
        f"  (def rounds 0)",
        f"  (state draft",
        f"    (enter (log \"drafting {i}\"))",
        f"    (let [plan (prompt author \"Draft plan {i}\" :timeout \"5m\")]",
        f"      (println (summarize-{i} [plan \"extra\"])))",
        f"    (goto review))",
        f"  (state review",
        f"    (assert (record agent-request reviewer \"req-{i}\" \"Review {i}\"))",
        f"    (await (record agent-response \"req-{i}\" ?verdict))",
        f"    (set! rounds (inc rounds))",
        f"    (cond",
        f"      (includes? verdict \"approve\") (terminal :completed verdict)",
        f"      (< rounds 3) (goto draft)",
        f"      :else (terminal :failed (score-{i} verdict 2)))))",
        "",
    ]
    i += 1
print("\n".join(out[:target]))
