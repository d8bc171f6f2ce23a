import { readFileSync } from 'node:fs';
import { echoValue, isNormalizedTicker } from '@tickpulse/contracts';
import type { CommandDeps } from './commands.js';

export const PRUNE_TICKERS_USAGE =
  'usage: tickpulse prune-tickers (--invalid | --keep <file>) [--remove [--force]]';

/** Members per ZSCAN call and per ZREM: each call holds Redis briefly. */
export const PRUNE_PAGE = 500;
/** Examples printed before the count. */
const EXAMPLES = 20;

interface PruneOptions {
  /** Which members go: not ticker symbols, or not in a list of listed symbols. */
  rule: { kind: 'invalid' } | { kind: 'keep'; file: string };
  remove: boolean;
  force: boolean;
}

function parseArgs(args: readonly string[]): PruneOptions | string {
  let rule: PruneOptions['rule'] | undefined;
  let remove = false;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--invalid' && !rule) rule = { kind: 'invalid' };
    else if (a === '--keep' && !rule && args[i + 1] !== undefined)
      rule = { kind: 'keep', file: args[++i]! };
    else if (a === '--remove') remove = true;
    else if (a === '--force') force = true;
    else return `unknown or repeated option ${echoValue(a)}`;
  }
  if (!rule) return 'say which members go: --invalid or --keep <file>';
  if (force && !remove) return '--force only applies with --remove';
  return { rule, remove, force };
}

/**
 * `tickpulse prune-tickers`: the repair for a `TICK:UPD` that a flood of
 * made-up symbols grew (tick-writer's retention only removes members older
 * than TICK_RETENTION_DAYS). Lists, or with `--remove` deletes, the members
 * that are not ticker symbols (`--invalid`) or not in a file of listed
 * symbols (`--keep`, one per line, e.g. Polygon's reference tickers). Pages
 * with ZSCAN and removes with ZREM in pages, never one unbounded call. A
 * keep list that would remove more than half of TICK:UPD is refused without
 * `--force`: an empty or truncated file must not wipe the key.
 *
 * @returns 0 when nothing is left to prune (or it was removed), 1 when
 * members were found and left, 2 on bad arguments.
 */
export async function pruneTickersCommand(
  deps: CommandDeps & { printError: (line: string) => void },
  args: readonly string[],
): Promise<number> {
  const opts = parseArgs(args);
  if (typeof opts === 'string') {
    deps.printError(`${opts}\n${PRUNE_TICKERS_USAGE}`);
    return 2;
  }
  let goes: (member: string) => boolean;
  if (opts.rule.kind === 'keep') {
    let text: string;
    try {
      text = readFileSync(opts.rule.file, 'utf8');
    } catch (err) {
      deps.printError(
        `cannot read the keep list ${echoValue(opts.rule.file)}: ${(err as Error).message}`,
      );
      return 2;
    }
    const keep = new Set(
      text
        .split(/\r?\n/)
        .map(l => l.trim())
        .filter(l => l !== ''),
    );
    goes = m => !keep.has(m);
  } else {
    goes = m => !isNormalizedTicker(m);
  }

  const key = deps.keys.tickUpd();
  const total = await deps.redis.zcard(key);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await deps.redis.zscan(
      key,
      cursor,
      'COUNT',
      PRUNE_PAGE,
    );
    cursor = next;
    for (let i = 0; i < flat.length; i += 2)
      if (goes(flat[i]!)) found.push(flat[i]!);
  } while (cursor !== '0');
  // ZSCAN may return a member twice; count each once.
  const members = [...new Set(found)];

  for (const m of members.slice(0, EXAMPLES)) deps.print(echoValue(m));
  const what =
    opts.rule.kind === 'invalid'
      ? 'not ticker symbols'
      : `not in ${echoValue(opts.rule.file)}`;
  if (members.length === 0) {
    deps.print(`TICK:UPD: none of ${total} members is ${what}`);
    return 0;
  }
  if (!opts.remove) {
    deps.print(
      `TICK:UPD: ${members.length} of ${total} members are ${what}; remove them with --remove`,
    );
    return 1;
  }
  if (opts.rule.kind === 'keep' && members.length * 2 > total && !opts.force) {
    deps.printError(
      `refusing to remove ${members.length} of ${total} members: more than half are ${what}. Check the file; pass --force if that is right`,
    );
    return 2;
  }
  let removed = 0;
  for (let i = 0; i < members.length; i += PRUNE_PAGE)
    removed += await deps.redis.zrem(key, ...members.slice(i, i + PRUNE_PAGE));
  deps.print(`TICK:UPD: removed ${removed} members that are ${what}`);
  return 0;
}
