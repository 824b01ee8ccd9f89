-- assoc: build a table of 10^5 integer keys one assignment at a time, then look keys up.
local m, n = {}, 0
for i = 0, 99999 do
  if m[i] == nil then n = n + 1 end
  m[i] = 2 * i
end
print(n + m[500] + m[99999])
