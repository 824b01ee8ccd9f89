# A workflow-shaped loop: 20,000 task records are built, matched on their status, and
# stored in a dict by id and in a transcript list, as a run's state is.
from functools import reduce


def task(i):
    return {"id": "task-" + str(i), "status": "failed" if i % 3 == 0 else "done",
            "attempt": i % 4, "output": "result " + str(i)}


def step(state, i):
    t = task(i)
    match t:
        case {"status": "failed", "attempt": n}:
            entry = ("retry", t["id"], n)
        case {"status": "done", "output": out}:
            entry = ("ok", t["id"], len(out))
    state["tasks"][t["id"]] = t
    state["transcript"].append(entry)
    if entry[0] == "retry":
        state["retries"] += 1
    return state


final = reduce(step, range(20000), {"tasks": {}, "transcript": [], "retries": 0})
print(len(final["tasks"]) + len(final["transcript"]) + final["retries"]
      + final["transcript"][19999][2])
