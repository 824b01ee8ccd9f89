#!/usr/bin/env python3
"""A/B of duet binaries on the interpreter benchmarks: runs them in turn (so a busy spell of
the machine hits all alike) and prints, per program, the minimum and median CPU time
(user + system) of each, and each median over the first binary's.

    bench/ab.py OLD_BINARY,NEW_BINARY fib,tak,closures     # N=11 runs each (default)
    N=21 bench/ab.py target/release/duet,/tmp/duet-new strings

Copy a binary aside (cp target/release/duet /tmp/duet-old) before rebuilding to compare.
"""
import os
import statistics
import sys

here = os.path.dirname(os.path.abspath(__file__))
bins = sys.argv[1].split(',')
progs = sys.argv[2].split(',')
n = int(os.environ.get('N', '11'))
for prog in progs:
    path = os.path.join(here, 'vm', f'{prog}.lisp')
    times = {b: [] for b in bins}
    for _ in range(n):
        for b in bins:
            pid = os.fork()
            if pid == 0:
                null = os.open('/dev/null', os.O_WRONLY)
                os.dup2(null, 1)
                os.execv(b, [b, 'run', path])
            _, status, usage = os.wait4(pid, 0)
            if status != 0:
                sys.exit(f'{b} run {path} failed (status {status})')
            times[b].append((usage.ru_utime + usage.ru_stime) * 1000)
    first = statistics.median(times[bins[0]])
    print(prog, '  '.join(
        f'{b}: min {min(t):.0f} ms, median {statistics.median(t):.0f} ms '
        f'({statistics.median(t) / first:.2f})' for b, t in times.items()))
