-- Strings: format 10^6 integers as "N," pieces, join them into one string of about
-- 6.9 million characters, and count its characters (all ASCII, so bytes are characters).
local function pieces(n)
  local acc = {}
  for i = 0, n - 1 do
    acc[i + 1] = tostring(i) .. ","
  end
  return acc
end

print(#table.concat(pieces(1000000)))
