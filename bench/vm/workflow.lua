-- A workflow-shaped loop: 20,000 task records are built, matched on their status, and
-- stored in a table by id and in a transcript list, as a run's state is.
local function task(i)
  return {id = "task-" .. i, status = (i % 3 == 0) and "failed" or "done",
          attempt = i % 4, output = "result " .. i}
end

local state = {tasks = {}, ntasks = 0, transcript = {}, retries = 0}
for i = 0, 19999 do
  local t = task(i)
  local entry
  if t.status == "failed" then entry = {"retry", t.id, t.attempt}
  else entry = {"ok", t.id, #t.output} end
  if state.tasks[t.id] == nil then state.ntasks = state.ntasks + 1 end
  state.tasks[t.id] = t
  state.transcript[#state.transcript + 1] = entry
  if entry[1] == "retry" then state.retries = state.retries + 1 end
end
print(state.ntasks + #state.transcript + state.retries + state.transcript[20000][3])
