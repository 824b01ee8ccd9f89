# Closures: 10,000 counters, each a fresh closure over a mutable local (a boxed cell),
# each called 100 times: 10^6 calls of a closure that reads and assigns what it captured.
def make_counter(step):
    n = 0

    def counter():
        nonlocal n
        n += step
        return n

    return counter


def drain(counter, calls, total):
    for _ in range(calls):
        total += counter()
    return total


def run(counters, calls):
    total = 0
    for i in range(counters):
        total = drain(make_counter(i % 7 + 1), calls, total)
    return total


print(run(10000, 100))
