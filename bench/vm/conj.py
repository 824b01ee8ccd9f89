# conj: build a list of 10^5 integers one append at a time, then read it back.
v = []
for i in range(100000):
    v.append(i)
print(len(v) + v[500] + v[99999])
