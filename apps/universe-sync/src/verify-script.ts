/**
 * The member comparison of a set whose SCARD already equals the number of
 * distinct members wanted: one pre-encoded EVAL per set, KEYS[1] the set and
 * each member its own argument; 1 when every member is in the set (so the two
 * are equal), else 0. One integer per set comes back: SMISMEMBER's one per
 * member cost Node more to decode than the comparison itself, and members
 * joined into one argument cost Redis more to split in Lua than the lookups.
 * Chunks of 1000 stay under Lua's unpack limit.
 */
export const VERIFY_SCRIPT = `
local n = #ARGV
for i = 1, n, 1000 do
  local found = redis.call('SMISMEMBER', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
  for j = 1, #found do
    if found[j] == 0 then return 0 end
  end
end
return 1`;
