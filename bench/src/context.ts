/** What every benchmark gets from the runner. */
export interface BenchContext {
  quick: boolean;
  /** Scratch directory for logs and profiles of this run. */
  workDir: string;
  log(msg: string): void;
  /** Options from the command line (`--rates 10000,50000`, `--seconds 60`, …). */
  opts: Record<string, string>;
  /** Data of benchmarks that already ran in this invocation, by name. */
  earlier: Record<string, unknown>;
}

/** What a benchmark returns: recorded data, a markdown body and harness problems. */
export interface BenchOutcome {
  data: unknown;
  markdown: string;
  /** Non-empty ⇒ the harness is broken (zero throughput, wrong results): the run fails. */
  problems: string[];
  /** One line for the console and the summary. */
  summary: string;
  /** A benchmark that could not run (e.g. an app not built yet) says why. */
  skipped?: string;
}
