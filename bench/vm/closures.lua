-- Closures: 10,000 counters, each a fresh closure over a mutable local (an upvalue),
-- each called 100 times: 10^6 calls of a closure that reads and assigns what it captured.
local function make_counter(step)
  local n = 0
  return function()
    n = n + step
    return n
  end
end

local function drain(counter, calls, total)
  for _ = 1, calls do
    total = total + counter()
  end
  return total
end

local function run(counters, calls)
  local total = 0
  for i = 0, counters - 1 do
    total = drain(make_counter(i % 7 + 1), calls, total)
  end
  return total
end

print(run(10000, 100))
