import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ZodType } from 'zod';
import { misspelledVariables } from '@tickpulse/service-kit';
import { renderKustomize } from '../src/k8s.js';
import { repoRoot } from '../src/tools.js';

// Every variable the deploy files set must be one the app reads: a typo in a
// ConfigMap (TICK_RETENTION_DAY) would otherwise be ignored silently and the
// default would run in production.

const APPS = [
  'ingest',
  'tick-writer',
  'universe-sync',
  'throttle-shadow',
  'polygon-sim',
];

function knownVariables(app: string): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ConfigSchema } = require(
    path.join(repoRoot, 'apps', app, 'dist', 'config.js'),
  ) as {
    ConfigSchema: ZodType & {
      shape?: object;
      def: { in?: { shape?: object } };
    };
  };
  const shape = ConfigSchema.shape ?? ConfigSchema.def.in?.shape;
  if (!shape)
    throw new Error(`cannot read the variables of ${app}'s ConfigSchema`);
  return new Set(Object.keys(shape));
}

interface EnvSource {
  where: string;
  app: string;
  names: string[];
}

function kustomizeSources(dir: string): EnvSource[] {
  const sources: EnvSource[] = [];
  for (const obj of renderKustomize(dir)) {
    // Deployments are named after their app; generated ConfigMaps are
    // tickpulse-<app> plus kustomize's content hash.
    const name = obj.metadata.name;
    const app =
      obj.kind === 'ConfigMap'
        ? [...APPS]
            .sort((a, b) => b.length - a.length)
            .find(a => name.startsWith(`tickpulse-${a}`))
        : name;
    if (!app || !APPS.includes(app)) continue;
    if (obj.kind === 'ConfigMap') {
      sources.push({
        where: `${dir} ConfigMap ${obj.metadata.name}`,
        app,
        names: Object.keys((obj.data as object) ?? {}),
      });
    }
    if (obj.kind === 'Deployment') {
      const spec = (
        obj.spec as {
          template: { spec: { containers: { env?: { name: string }[] }[] } };
        }
      ).template.spec;
      for (const c of spec.containers) {
        sources.push({
          where: `${dir} Deployment ${obj.metadata.name}`,
          app,
          names: (c.env ?? []).map(e => e.name),
        });
      }
    }
  }
  return sources;
}

function composeSources(): EnvSource[] {
  const compose = parse(
    readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'),
    { merge: true },
  ) as {
    services: Record<
      string,
      { build?: { dockerfile?: string }; environment?: Record<string, string> }
    >;
  };
  return Object.entries(compose.services).flatMap(([name, svc]) => {
    const app = /^apps\/([^/]+)\/Dockerfile$/.exec(
      svc.build?.dockerfile ?? '',
    )?.[1];
    return app
      ? [
          {
            where: `docker-compose ${name}`,
            app,
            names: Object.keys(svc.environment ?? {}),
          },
        ]
      : [];
  });
}

describe('environment variables in the deploy files', () => {
  const sources = [
    ...kustomizeSources('deploy/base'),
    ...kustomizeSources('deploy/overlays/example'),
    ...kustomizeSources('deploy/overlays/shadow'),
    ...composeSources(),
  ];

  it('covers every app', () => {
    expect(new Set(sources.map(s => s.app))).toEqual(new Set(APPS));
  });

  it.each(APPS)('sets only variables %s reads', app => {
    const known = knownVariables(app);
    const unknown = sources
      .filter(s => s.app === app)
      .flatMap(s =>
        s.names.filter(n => !known.has(n)).map(n => `${s.where}: ${n}`),
      );
    expect(unknown).toEqual([]);
  });
});

// `tickpulse up` hands every app the same environment, so one app's real
// variable must never read as a misspelling of another's (the apps warn
// about misspellings at start-up).
describe('misspelling warnings across the apps', () => {
  it.each(APPS)('%s takes no other app variable for a typo', app => {
    const others = Object.fromEntries(
      APPS.filter(a => a !== app)
        .flatMap(a => [...knownVariables(a)])
        .map(n => [n, 'set']),
    );
    expect(misspelledVariables(others, knownVariables(app))).toEqual([]);
  });
});
