-- Map, filter, reduce over 10^6 integers: each step builds (or walks) a whole table and
-- calls a function per element.
local function range(n)
  local out = {}
  for i = 1, n do
    out[i] = i - 1
  end
  return out
end

local function map(f, xs)
  local out = {}
  for i = 1, #xs do
    out[i] = f(xs[i])
  end
  return out
end

local function filter(pred, xs)
  local out, n = {}, 0
  for i = 1, #xs do
    local x = xs[i]
    if pred(x) then
      n = n + 1
      out[n] = x
    end
  end
  return out
end

local function reduce(f, init, xs)
  local acc = init
  for i = 1, #xs do
    acc = f(acc, xs[i])
  end
  return acc
end

local function add(a, b) return a + b end
local function even(x) return x % 2 == 0 end

print(reduce(add, 0, filter(even, map(function(x) return x * 3 end, range(1000000)))))
