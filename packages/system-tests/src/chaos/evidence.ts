import { waitFor } from '@tickpulse/testkit';
import type { AppProcess, LogLine } from '../harness.js';
import type { FaultContext } from './fault.js';

/** How a fault shows on a counter: its label in the report and how to read it. */
export interface Counter {
  /** As printed in the evidence, e.g. `ingest_reconnects_total{reason=x}`. */
  label: string;
  read(ctx: FaultContext): Promise<number>;
  /** How much it must grow; 1 when absent. */
  min?: number;
}

/**
 * Reads `counter`, runs `act`, then waits up to 60 s for the counter to grow
 * by `min`, and adds `label before → after` to `evidence` when it did. When it
 * does not grow nothing is added, so a fault whose only evidence is this
 * counter fails as "not visible" instead of timing out the run.
 */
export async function expectGrowth(
  ctx: FaultContext,
  evidence: string[],
  counter: Counter,
  act: () => unknown,
): Promise<void> {
  const min = counter.min ?? 1;
  const before = await counter.read(ctx);
  await act();
  const after = await waitFor(
    async () => {
      const v = await counter.read(ctx);
      return v - before >= min ? v : 0;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `${counter.label} to grow` },
  ).catch(() => null);
  if (after !== null) evidence.push(`${counter.label} ${before} → ${after}`);
}

/**
 * The `inject` of the most common fault shape: do one thing, expect one
 * counter to grow. A fault of this shape is a table entry of one line.
 */
export function grows(
  counter: Counter,
  act: (ctx: FaultContext) => unknown,
): (ctx: FaultContext, evidence: string[]) => Promise<void> {
  return (ctx, evidence) =>
    expectGrowth(ctx, evidence, counter, () => act(ctx));
}

/**
 * A Prometheus counter as a `Counter`: of one process, or summed over both
 * ingest processes (`'ingest'`: either may be the leader). Its label is the
 * metric name without `tickpulse_`, with the label filter, as operators grep it.
 */
export function metricCounter(
  of: 'ingest' | ((ctx: FaultContext) => AppProcess),
  metric: string,
  labels?: Record<string, string>,
  min?: number,
): Counter {
  const shown = labels
    ? `{${Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')}}`
    : '';
  return {
    label: `${metric.replace(/^tickpulse_/, '')}${shown}`,
    read: ctx =>
      of === 'ingest'
        ? ctx.stack.sumIngest(metric, labels)
        : ctx.stack.metricOr0(of(ctx), metric, labels),
    ...(min === undefined ? {} : { min }),
  };
}

/** Log lines of `p` from line index `from` on whose `msg` matches `text`. */
export function logsSince(
  p: AppProcess,
  from: number,
  text: string | RegExp,
): LogLine[] {
  return p.lines
    .slice(from)
    .filter(l =>
      typeof text === 'string'
        ? String(l.msg ?? '').includes(text)
        : text.test(String(l.msg ?? '')),
    );
}

/** Adds the `process_start_time_seconds` change that proves `p` really restarted. */
export async function restartEvidence(
  ctx: FaultContext,
  evidence: string[],
  p: AppProcess,
  before: number,
): Promise<void> {
  const after = await ctx.stack.metricOr0(p, 'process_start_time_seconds');
  if (after > before)
    evidence.push(`${p.name} process_start_time_seconds ${before} → ${after}`);
}
