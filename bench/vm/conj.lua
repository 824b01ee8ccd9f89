-- conj: build a table of 10^5 integers one append at a time, then read it back.
local v = {}
for i = 0, 99999 do v[#v + 1] = i end
print(#v + v[501] + v[100000])
