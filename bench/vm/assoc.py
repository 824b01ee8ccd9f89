# assoc: build a dict of 10^5 integer keys one assignment at a time, then look keys up.
m = {}
for i in range(100000):
    m[i] = 2 * i
print(len(m) + m[500] + m[99999])
