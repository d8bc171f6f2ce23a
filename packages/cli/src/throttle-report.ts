import { echoValue } from '@tickpulse/contracts';
import { duration } from '@tickpulse/service-kit';
import {
  type RunTally,
  type StrategyTally,
  type ThrottleReport,
} from '@tickpulse/throttle';

export const THROTTLE_REPORT_USAGE =
  'usage: tickpulse throttle-report [--since 1h] [--json] [--url http://host:port]';

/** Strategies listed one per line; `--json` has them all. */
const TOP = 20;
/** A report is read from one local HTTP server: it answers at once or not at all. */
const FETCH_TIMEOUT_MS = 10_000;

const sinceSchema = duration('1h');
const int = (n: number) => n.toLocaleString('en-US');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** "x % fewer than legacy", or what legacy's zero makes of it. */
function saving(legacy: RunTally, other: RunTally): string {
  if (legacy.evaluations === 0) return 'legacy evaluated nothing';
  const pct = (1 - other.evaluations / legacy.evaluations) * 100;
  return pct >= 0
    ? `${pct.toFixed(1)} % fewer ticker evaluations than legacy`
    : `${(-pct).toFixed(1)} % more ticker evaluations than legacy`;
}

const idsOf = (list: StrategyTally[]) =>
  list.length > 10
    ? `${list
        .slice(0, 10)
        .map(x => x.id)
        .join(', ')}, … (${list.length - 10} more)`
    : list.map(x => x.id).join(', ');

/** The report as a person reads it: totals, what they mean, the heaviest strategies. */
export function formatThrottleReport(r: ThrottleReport): string[] {
  const { legacy, goPerTicker: go, lossless } = r.totals;
  const row = (name: string, t: RunTally, late: string, extra = '') =>
    `${name.padEnd(15)}${int(t.runs).padStart(12)}${int(t.evaluations).padStart(16)}${late.padStart(15)}${extra}`;
  const lines = [
    `window ${iso(r.window.from)} → ${iso(r.window.to)} (${int(r.window.cycles)} shadow cycles, ${int(r.strategies.length)} strategies)`,
    '',
    `${''.padEnd(15)}${'runs'.padStart(12)}${'evaluations'.padStart(16)}${'late updates'.padStart(15)}`,
    row('legacy', legacy, '—'),
    row(
      'Go per-ticker',
      go,
      int(go.lateUpdates),
      go.unfilteredRuns > 0
        ? `   (${int(go.unfilteredRuns)} runs without a symbol filter)`
        : '',
    ),
    row('lossless', lossless, int(lossless.lateUpdates)),
    '',
    `Go per-ticker: ${saving(legacy, go)}; it can miss ${int(go.lateUpdates)} alerts (late updates).`,
    `lossless: ${saving(legacy, lossless)}; it can miss ${int(lossless.lateUpdates)}.`,
  ];
  const disabled = r.strategies.filter(x => x.goPath === 'disabled');
  if (disabled.length > 0)
    lines.push(
      `Per-ticker never runs ${disabled.length} strategies (typed alert_universe, no alert_universe_full): ${idsOf(disabled)}`,
    );
  const invalid = r.strategies.filter(x => x.goPath === 'invalid-timeframe');
  if (invalid.length > 0)
    lines.push(
      `Invalid min_timeframe (legacy runs them every cycle, Go per-ticker never): ${idsOf(invalid)}`,
    );
  if (r.strategies.length === 0) return lines;

  const top = [...r.strategies]
    .sort((a, b) => b.legacy.evaluations - a.legacy.evaluations)
    .slice(0, TOP);
  lines.push(
    '',
    `${'strategy'.padStart(10)}  ${'Go path'.padEnd(18)}${'legacy runs/evals'.padEnd(22)}${'Go runs/evals/late'.padEnd(24)}lossless runs/evals`,
    ...top.map(
      x =>
        `${String(x.id).padStart(10)}  ${x.goPath.padEnd(18)}${`${int(x.legacy.runs)}/${int(x.legacy.evaluations)}`.padEnd(22)}${`${int(x.goPerTicker.runs)}/${int(x.goPerTicker.evaluations)}/${int(x.goPerTicker.lateUpdates)}`.padEnd(24)}${int(x.lossless.runs)}/${int(x.lossless.evaluations)}`,
    ),
  );
  if (r.strategies.length > TOP)
    lines.push(
      `(the ${TOP} with the most legacy evaluations; --json lists all ${int(r.strategies.length)})`,
    );
  return lines;
}

/**
 * `tickpulse throttle-report`: the shadow's evidence for the per-ticker
 * decision, read from throttle-shadow's `GET /throttle-report`.
 */
export async function throttleReportCommand(
  deps: {
    /** throttle-shadow's base URL. */
    url: string;
    print: (line: string) => void;
    printError: (line: string) => void;
  },
  args: readonly string[],
): Promise<number> {
  let json = false;
  let since: string | undefined;
  let url = deps.url;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--since' && args[i + 1] !== undefined) since = args[++i];
    else if (a === '--url' && args[i + 1] !== undefined) url = args[++i]!;
    else {
      deps.printError(
        `unknown option ${echoValue(a)}\n${THROTTLE_REPORT_USAGE}`,
      );
      return 2;
    }
  }
  if (since !== undefined && !sinceSchema.safeParse(since).success) {
    deps.printError(
      `--since ${echoValue(since)}: must be a duration like 30m, 1h or 24h\n${THROTTLE_REPORT_USAGE}`,
    );
    return 2;
  }
  let endpoint: URL;
  try {
    endpoint = new URL('/throttle-report', url);
  } catch {
    deps.printError(
      `not a URL: ${echoValue(url)} (THROTTLE_SHADOW_URL or --url)`,
    );
    return 2;
  }
  if (since !== undefined) endpoint.searchParams.set('since', since);

  let res: Response;
  try {
    res = await fetch(endpoint, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } })
      .cause;
    const why =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    deps.printError(
      `cannot read the throttle report from ${endpoint.origin} (${why}): is throttle-shadow running? Point THROTTLE_SHADOW_URL or --url at it.`,
    );
    return 1;
  }
  const body = (await res.json().catch(() => null)) as
    (ThrottleReport & { error?: string }) | null;
  if (!res.ok || !body || !body.window) {
    deps.printError(
      `throttle-shadow at ${endpoint.origin} answered ${res.status}: ${body?.error ?? 'not a throttle report'}`,
    );
    return res.status === 400 ? 2 : 1;
  }
  if (json) deps.print(JSON.stringify(body));
  else for (const line of formatThrottleReport(body)) deps.print(line);
  return 0;
}
