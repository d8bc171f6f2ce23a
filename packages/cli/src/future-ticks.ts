import { TICK_FUTURE_TOLERANCE_MS } from '@tickpulse/contracts';
import type { CommandDeps } from './commands.js';

/** What to do with TICK:UPD members whose time is in the future. */
export type FutureTickFix = 'list' | 'clamp' | 'remove';

/** Members per ZRANGE page and per repair script call: each call holds Redis briefly. */
export const FUTURE_TICKS_PAGE = 500;

/**
 * For each member in ARGV[4..]: when its score is still above ARGV[1] (the
 * future bound), clamp it to ARGV[2] (now) or remove it (ARGV[3]). The check
 * and the change happen in one script, so a member that meanwhile got a
 * sane score is left alone. Returns how many were changed.
 */
const FIX_SCRIPT = `
local n = 0
for i = 4, #ARGV do
  local s = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if s and tonumber(s) > tonumber(ARGV[1]) then
    if ARGV[3] == 'remove' then
      redis.call('ZREM', KEYS[1], ARGV[i])
    else
      redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[i])
    end
    n = n + 1
  end
end
return n`;

/**
 * `tickpulse future-ticks [--clamp | --remove]`: lists the TICK:UPD members
 * more than `TICK_FUTURE_TOLERANCE_MS` ahead of now (a time that ZADD GT
 * would never let a real trade replace, so the ticker is frozen), and with
 * `--clamp` sets them to now (the alert loop then sees them as updated once)
 * or with `--remove` deletes them (absent until the next trade). Pages
 * through the range with ZRANGE BYSCORE LIMIT, never one unbounded call.
 *
 * @returns the exit code: 0, or 1 when future members were found and left as they are.
 */
export async function futureTicksCommand(
  deps: CommandDeps,
  fix: FutureTickFix,
  now: () => number = Date.now,
): Promise<number> {
  const key = deps.keys.tickUpd();
  const nowMs = now();
  const bound = nowMs + TICK_FUTURE_TOLERANCE_MS;
  let found = 0;
  let changed = 0;
  let offset = 0;
  for (;;) {
    // A repaired page leaves the range, so repairs always read from the
    // start; a listing moves its offset forward.
    const page = await deps.redis.zrange(
      key,
      `(${bound}`,
      '+inf',
      'BYSCORE',
      'LIMIT',
      fix === 'list' ? offset : 0,
      FUTURE_TICKS_PAGE,
      'WITHSCORES',
    );
    if (page.length === 0) break;
    const members: string[] = [];
    for (let i = 0; i < page.length; i += 2) {
      members.push(page[i]!);
      const ms = Number(page[i + 1]);
      deps.print(`${page[i]}: ${new Date(ms).toISOString()} (${ms})`);
    }
    found += members.length;
    if (fix === 'list') {
      offset += members.length;
      if (members.length < FUTURE_TICKS_PAGE) break;
      continue;
    }
    const n = Number(
      await deps.redis.eval(FIX_SCRIPT, 1, key, bound, nowMs, fix, ...members),
    );
    changed += n;
    // Nothing changed: every member on the page got a sane score meanwhile
    // (and so left the range) or the script could not act; do not spin.
    if (n === 0) break;
  }
  if (found === 0) {
    deps.print('TICK:UPD: no member in the future');
    return 0;
  }
  if (fix === 'list') {
    deps.print(
      `TICK:UPD: ${found} member(s) more than ${TICK_FUTURE_TOLERANCE_MS / 1000} s in the future; repair with --clamp (set to now) or --remove`,
    );
    return 1;
  }
  deps.print(
    `TICK:UPD: ${changed} member(s) ${fix === 'clamp' ? 'clamped to now' : 'removed'}`,
  );
  return 0;
}
