import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  ASSUMED_METRICS,
  isKnownMetric,
  metricNamesIn,
} from '../src/promql.js';
import { repoRoot, runTool } from '../src/tools.js';

const PROMTOOL_INSTALL = 'apt-get install -y prometheus';
const monitoring = path.join(repoRoot, 'deploy/monitoring');
const ruleFiles = fs
  .readdirSync(monitoring)
  .filter(f => f.endsWith('.yml'))
  .map(f => `deploy/monitoring/${f}`);

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}
const groups = ruleFiles.flatMap(
  f =>
    (
      parse(fs.readFileSync(path.join(repoRoot, f), 'utf8')) as {
        groups: { name: string; rules: Rule[] }[];
      }
    ).groups,
);

describe('alert rules', () => {
  it('load with promtool check rules', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    const run = runTool(
      'promtool',
      ['check', 'rules', ...ruleFiles],
      PROMTOOL_INSTALL,
    );
    expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({
      status: 0,
      out: expect.stringContaining('SUCCESS'),
    });
  });

  it('fire as specified in the promtool unit tests', () => {
    const run = runTool(
      'promtool',
      ['test', 'rules', 'deploy/monitoring/tests/tickpulse-alerts.test.yml'],
      PROMTOOL_INSTALL,
    );
    expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({
      status: 0,
      out: expect.stringContaining('SUCCESS'),
    });
  });

  it('cover the alerts the operators asked for, each with summary, description and runbook', () => {
    const alerts = groups.flatMap(g => g.rules).filter(r => r.alert);
    for (const a of alerts) {
      expect({
        alert: a.alert,
        keys: Object.keys(a.annotations ?? {}).sort(),
      }).toEqual({
        alert: a.alert,
        keys: ['description', 'runbook', 'summary'],
      });
      expect(a.labels?.severity).toMatch(/^(critical|warning|info)$/);
    }
    expect(alerts.map(a => a.alert)).toEqual(
      expect.arrayContaining([
        'TickpulseFeedDown',
        'TickpulseFeedNoLeader',
        'TickpulseTradeLagHigh',
        'TickpulseFreshnessHigh',
        'TickpulseTickQueueBacklogGrowing',
        'TickpulseTickWriterFailures',
        'TickpulseUniverseSyncFailures',
        'TickpulseUniverseReconcileDrift',
        'TickpulseRedisEvictionUnsafe',
        'TickpulseNoTickUpdatesDuringMarketHours',
      ]),
    );
  });

  it('name app metrics only in the inputs group, and only assumed ones', () => {
    const recorded = new Set(
      groups.flatMap(g => g.rules).flatMap(r => (r.record ? [r.record] : [])),
    );
    const used = new Set<string>();
    for (const g of groups)
      for (const r of g.rules)
        for (const name of metricNamesIn(r.expr)) {
          if (recorded.has(name)) continue;
          expect({
            group: g.name,
            rule: r.record ?? r.alert,
            name,
            known: isKnownMetric(name),
          }).toEqual({
            group: g.name,
            rule: r.record ?? r.alert,
            name,
            known: true,
          });
          if (name.startsWith('tickpulse_')) {
            expect({ name, group: g.name }).toEqual({
              name,
              group: 'tickpulse-inputs',
            });
            used.add(name.replace(/_bucket$/, ''));
          }
        }
    // The header list, the recording rules and ASSUMED_METRICS agree.
    const header = fs.readFileSync(
      path.join(monitoring, 'tickpulse-alerts.yml'),
      'utf8',
    );
    for (const m of ASSUMED_METRICS) expect(header).toContain(`#   ${m}`);
    expect([...used].sort()).toEqual(
      ASSUMED_METRICS.filter(
        m => m !== 'tickpulse_universe_updates_total',
      ).sort(),
    );
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(
    fs.readFileSync(path.join(monitoring, 'grafana/tickpulse.json'), 'utf8'),
  ) as {
    uid: string;
    templating: { list: { type: string; name: string; query: string }[] };
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
  };
  const constants = Object.fromEntries(
    dashboard.templating.list
      .filter(v => v.type === 'constant')
      .map(v => [v.name, v.query]),
  );
  const resolve = (expr: string) =>
    expr.replace(
      /\$\{(\w+)\}|\$(\w+)/g,
      (all, a?: string, b?: string) => constants[(a ?? b)!] ?? all,
    );

  it('names exactly the assumed metrics, in its constant variables', () => {
    // A constant may narrow its metric with a label selector.
    const names = Object.values(constants).map(c => c.replace(/\{.*\}$/, ''));
    expect(names.sort()).toEqual([...ASSUMED_METRICS].sort());
  });

  it('queries only known metrics, through those variables', () => {
    const targets = dashboard.panels.flatMap(p =>
      (p.targets ?? []).map(t => ({ panel: p.title, expr: t.expr })),
    );
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) {
      expect(t.expr).not.toMatch(/tickpulse_/); // names live in the constants
      const names = metricNamesIn(resolve(t.expr));
      expect({ panel: t.panel, names: names.length > 0 }).toEqual({
        panel: t.panel,
        names: true,
      });
      for (const name of names)
        expect({ panel: t.panel, name, known: isKnownMetric(name) }).toEqual({
          panel: t.panel,
          name,
          known: true,
        });
    }
  });

  it('shows the tick and universe counters the operators scrape', () => {
    const all = dashboard.panels
      .flatMap(p => (p.targets ?? []).map(t => resolve(t.expr)))
      .join('\n');
    for (const m of ASSUMED_METRICS) expect(all).toContain(m);
  });
});

describe('docker-compose Prometheus config', () => {
  it('passes promtool check config and scrapes every app', () => {
    const run = runTool(
      'promtool',
      ['check', 'config', 'deploy/compose/prometheus.yml'],
      PROMTOOL_INSTALL,
    );
    expect(run.status).toBe(0);
    const cfg = parse(
      fs.readFileSync(
        path.join(repoRoot, 'deploy/compose/prometheus.yml'),
        'utf8',
      ),
    ) as {
      scrape_configs: { job_name: string }[];
    };
    expect(cfg.scrape_configs.map(s => s.job_name).sort()).toEqual(
      Object.keys(
        JSON.parse(
          fs.readFileSync(path.join(__dirname, '../apps.json'), 'utf8'),
        ),
      ).sort(),
    );
  });
});

describe('metric names the deploy files assume', () => {
  // Static, but enough to catch a rename on either side: every metric the
  // rules and the dashboard read must be registered by some app.
  const defined = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of fs
          .readFileSync(full, 'utf8')
          .matchAll(/name: '(tickpulse_[a-z_]+)'/g)) {
          defined.add(m[1]!);
        }
      }
    }
  };
  for (const app of fs.readdirSync(path.join(repoRoot, 'apps'))) {
    walk(path.join(repoRoot, 'apps', app, 'src'));
  }

  it('are all registered by the apps', () => {
    expect(defined.size).toBeGreaterThan(20);
    expect(ASSUMED_METRICS.filter(m => !defined.has(m))).toEqual([]);
  });
});
