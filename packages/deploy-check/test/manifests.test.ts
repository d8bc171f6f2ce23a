import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { K8sObject, renderKustomize, validateObject } from '../src/k8s.js';
import { repoRoot } from '../src/tools.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PROBE_BUDGET_MS } = require(
  path.join(repoRoot, 'packages/service-kit/dist/http.js'),
) as { PROBE_BUDGET_MS: number };

// Apps deployed by the base; polygon-sim is a demo that only the example
// overlay adds.
const BASE_APPS = ['ingest', 'tick-writer', 'universe-sync', 'throttle-shadow'];
const SECRET_NAMES = /(KEY|TOKEN|PASSWORD|SECRET)$|^DATABASE_URL$/;

interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[];
  livenessProbe?: {
    httpGet?: { path: string; port: string | number };
    timeoutSeconds?: number;
  };
  readinessProbe?: {
    httpGet?: { path: string; port: string | number };
    timeoutSeconds?: number;
  };
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: {
        labels: Record<string, string>;
        annotations?: Record<string, string>;
      };
      spec: {
        terminationGracePeriodSeconds?: number;
        securityContext?: {
          runAsNonRoot?: boolean;
          runAsUser?: number;
          seccompProfile?: { type: string };
        };
        containers: Container[];
      };
    };
  };
}

/** Every schema violation among the objects (empty when all validate). */
function validationErrors(objects: K8sObject[]): string[] {
  const errors: string[] = [];
  for (const o of objects) {
    try {
      validateObject(o);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return errors;
}

const of = <T extends K8sObject>(objs: K8sObject[], kind: string) =>
  objs.filter(o => o.kind === kind) as T[];

function checkPolicies(objects: K8sObject[], apps: string[]): void {
  const deployments = of<Deployment>(objects, 'Deployment');
  expect(deployments.map(d => d.metadata.name).sort()).toEqual(
    [...apps].sort(),
  );
  for (const d of deployments) {
    const name = d.metadata.name;
    const pod = d.spec.template.spec;
    expect({ name, grace: pod.terminationGracePeriodSeconds }).toEqual({
      name,
      grace: expect.any(Number),
    });
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(d.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
    });
    for (const c of pod.containers) {
      const where = `${name}/${c.name}`;
      expect({ where, probe: c.livenessProbe?.httpGet }).toEqual({
        where,
        probe: { path: '/healthz', port: 'http' },
      });
      expect({ where, probe: c.readinessProbe?.httpGet }).toEqual({
        where,
        probe: { path: '/readyz', port: 'http' },
      });
      // The ops server answers within PROBE_BUDGET_MS whatever a dependency does; a probe
      // with less time would fail on a slow dependency without being told why.
      for (const probe of [c.livenessProbe, c.readinessProbe])
        expect({
          where,
          budgetFits: (probe?.timeoutSeconds ?? 1) * 1000 > PROBE_BUDGET_MS,
        }).toEqual({ where, budgetFits: true });
      expect(c.ports?.find(p => p.name === 'http')).toBeDefined();
      expect(d.spec.template.metadata.annotations?.['prometheus.io/port']).toBe(
        String(c.ports?.find(p => p.name === 'http')?.containerPort),
      );
      for (const r of ['cpu', 'memory']) {
        expect({ where, r, req: c.resources?.requests?.[r] }).toEqual({
          where,
          r,
          req: expect.any(String),
        });
      }
      expect({ where, lim: c.resources?.limits?.memory }).toEqual({
        where,
        lim: expect.any(String),
      });
      expect({ where, sc: c.securityContext }).toMatchObject({
        where,
        sc: {
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        },
      });
      // A secret-looking variable comes from a Secret, never a literal.
      for (const e of c.env ?? []) {
        if (SECRET_NAMES.test(e.name)) {
          expect({ where, env: e.name, value: e.value }).toEqual({
            where,
            env: e.name,
            value: undefined,
          });
          expect(e.valueFrom?.secretKeyRef).toBeDefined();
        }
      }
    }
  }

  const ingest = deployments.find(d => d.metadata.name === 'ingest');
  expect(ingest?.spec.replicas).toBeGreaterThanOrEqual(2);

  // A PodDisruptionBudget and a Service with an `http` port per app, each
  // selecting exactly that app's pods.
  for (const d of deployments) {
    const podLabels = d.spec.template.metadata.labels;
    const selects = (sel: Record<string, string> | undefined) =>
      !!sel && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
    const pdbs = of<
      K8sObject & {
        spec: { selector: { matchLabels: Record<string, string> } };
      }
    >(objects, 'PodDisruptionBudget').filter(p =>
      selects(p.spec.selector.matchLabels),
    );
    expect({ app: d.metadata.name, pdbs: pdbs.length }).toEqual({
      app: d.metadata.name,
      pdbs: 1,
    });
    const services = of<
      K8sObject & {
        spec: { selector: Record<string, string>; ports: { name: string }[] };
      }
    >(objects, 'Service').filter(s => selects(s.spec.selector));
    expect(services.map(s => s.spec.ports.map(p => p.name))).toEqual([
      ['http'],
    ]);
  }

  // ConfigMaps never carry secret-looking variables.
  for (const cm of of<K8sObject & { data?: Record<string, string> }>(
    objects,
    'ConfigMap',
  ))
    for (const key of Object.keys(cm.data ?? {}))
      expect({
        configMap: cm.metadata.name,
        key,
        secret: SECRET_NAMES.test(key),
      }).toEqual({
        configMap: cm.metadata.name,
        key,
        secret: false,
      });
}

interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress?: { from?: unknown[]; ports?: { port: number | string }[] }[];
    egress?: {
      to?: { podSelector?: { matchLabels: Record<string, string> } }[];
      ports?: { port: number | string }[];
    }[];
  };
}

// What each app must be allowed to reach (DNS everywhere), and nothing more by port.
const EGRESS_PORTS: Record<string, number[]> = {
  ingest: [53, 6379, 443],
  'tick-writer': [53, 6379],
  'universe-sync': [53, 6379, 5432],
  'throttle-shadow': [53, 6379, 5432],
  'polygon-sim': [],
};

/** The policies selecting an app's pods, and what they allow in total. */
function networkAccess(objects: K8sObject[], app: string) {
  const pod = of<Deployment>(objects, 'Deployment').find(
    d => d.metadata.name === app,
  )!.spec.template.metadata.labels;
  const policies = of<NetworkPolicy>(objects, 'NetworkPolicy').filter(p =>
    Object.entries(p.spec.podSelector.matchLabels).every(
      ([k, v]) => pod[k] === v,
    ),
  );
  return {
    policies,
    isolated: ['Ingress', 'Egress'].every(t =>
      policies.some(p => p.spec.policyTypes.includes(t)),
    ),
    ingressPorts: policies.flatMap(p =>
      (p.spec.ingress ?? []).flatMap(r => (r.ports ?? []).map(x => x.port)),
    ),
    // Rules without `to:` (any destination), by port.
    egressAnywhere: policies.flatMap(p =>
      (p.spec.egress ?? [])
        .filter(r => !r.to)
        .flatMap(r => (r.ports ?? []).map(x => x.port)),
    ),
    egressTo: policies.flatMap(p => (p.spec.egress ?? []).filter(r => r.to)),
  };
}

function checkNetworkPolicies(objects: K8sObject[], apps: string[]): void {
  for (const app of apps) {
    const a = networkAccess(objects, app);
    expect({
      app,
      named: a.policies.some(p => p.metadata.name === app),
    }).toEqual({
      app,
      named: true,
    });
    expect({ app, isolated: a.isolated }).toEqual({ app, isolated: true });
    expect({ app, ingress: a.ingressPorts }).toEqual({
      app,
      ingress: ['http'],
    });
    expect({ app, egress: [...new Set(a.egressAnywhere)].sort() }).toEqual({
      app,
      egress: [...EGRESS_PORTS[app]!].sort(),
    });
  }
}

describe('deploy/base', () => {
  const objects = renderKustomize('deploy/base');

  it('renders objects that all validate against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(0);
    expect(validationErrors(objects)).toEqual([]);
  });

  it('meets the deployment policies for every app', () => {
    checkPolicies(objects, BASE_APPS);
  });

  it('has a NetworkPolicy per app: the http port in, DNS, Redis and what the app needs out', () => {
    checkNetworkPolicies(objects, BASE_APPS);
  });

  it('has a ConfigMap per app and never an inline Secret', () => {
    expect(objects.filter(o => o.kind === 'Secret')).toEqual([]);
    for (const app of BASE_APPS)
      expect(
        objects.some(
          o =>
            o.kind === 'ConfigMap' &&
            o.metadata.name.startsWith(`tickpulse-${app}-`),
        ),
      ).toBe(true);
  });

  it('has a ServiceMonitor scraping the http port of every tickpulse Service', () => {
    const [sm, ...rest] = objects.filter(
      o => o.kind === 'ServiceMonitor',
    ) as (K8sObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
    })[];
    expect(rest).toEqual([]);
    expect(sm?.spec.endpoints).toEqual([
      expect.objectContaining({ port: 'http', path: '/metrics' }),
    ]);
    const services = objects.filter(o => o.kind === 'Service') as (K8sObject & {
      metadata: { labels?: Record<string, string> };
    })[];
    for (const s of services)
      for (const [k, v] of Object.entries(sm!.spec.selector.matchLabels))
        expect(s.metadata.labels?.[k]).toBe(v);
  });
});

describe('deploy/overlays/example', () => {
  const objects = renderKustomize('deploy/overlays/example');

  it('renders objects that all validate against the Kubernetes schemas', () => {
    expect(validationErrors(objects)).toEqual([]);
  });

  it('meets the deployment policies, with the demo polygon-sim added', () => {
    checkPolicies(objects, [...BASE_APPS, 'polygon-sim']);
  });

  it('lets ingest reach polygon-sim, and nothing else reach out of polygon-sim', () => {
    checkNetworkPolicies(objects, [...BASE_APPS, 'polygon-sim']);
    const { egressTo } = networkAccess(objects, 'ingest');
    expect(egressTo).toEqual([
      {
        to: [
          {
            podSelector: {
              matchLabels: expect.objectContaining({
                'app.kubernetes.io/name': 'polygon-sim',
              }),
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 9100 }],
      },
    ]);
  });

  it('puts everything in the tickpulse namespace with pinned images', () => {
    for (const o of objects.filter(o => o.kind !== 'Namespace'))
      expect({
        o: `${o.kind}/${o.metadata.name}`,
        ns: o.metadata.namespace,
      }).toEqual({
        o: `${o.kind}/${o.metadata.name}`,
        ns: 'tickpulse',
      });
    for (const d of objects.filter(
      o => o.kind === 'Deployment',
    ) as Deployment[])
      for (const c of d.spec.template.spec.containers)
        expect(c.image).toMatch(
          /^registry\.example\.com\/tickpulse\/[a-z-]+:\d+\.\d+\.\d+$/,
        );
  });

  it('points ingest at polygon-sim and references the generated Secrets by their rendered names', () => {
    const secrets = objects
      .filter(o => o.kind === 'Secret')
      .map(o => o.metadata.name);
    const ingest = (
      objects.filter(o => o.kind === 'Deployment') as Deployment[]
    ).find(d => d.metadata.name === 'ingest')!;
    const ref = ingest.spec.template.spec.containers[0]!.env!.find(
      e => e.name === 'POLYGON_API_KEY',
    )!.valueFrom!.secretKeyRef!;
    expect(secrets).toContain(ref.name);
    const cm = objects.find(
      o =>
        o.kind === 'ConfigMap' &&
        o.metadata.name.startsWith('tickpulse-ingest-'),
    ) as K8sObject & { data: Record<string, string> };
    expect(cm.data.POLYGON_WS_URL).toBe('ws://polygon-sim:9100/stocks');
  });
});

describe('deploy/overlays/shadow', () => {
  const objects = renderKustomize('deploy/overlays/shadow');
  const configMaps = objects.filter(
    o => o.kind === 'ConfigMap',
  ) as (K8sObject & {
    data: Record<string, string>;
  })[];
  const configOf = (app: string) =>
    configMaps.find(cm => cm.metadata.name.startsWith(`tickpulse-${app}-`))!
      .data;
  const runbook = readFileSync(path.join(repoRoot, 'deploy/README.md'), 'utf8');

  it('renders objects that all validate against the Kubernetes schemas', () => {
    expect(validationErrors(objects)).toEqual([]);
  });

  it('meets the deployment policies, without polygon-sim or inline Secrets', () => {
    checkPolicies(objects, BASE_APPS);
    checkNetworkPolicies(objects, BASE_APPS);
    expect(objects.filter(o => o.kind === 'Secret')).toEqual([]);
  });

  it('puts every app under one non-empty key prefix, queues unchanged', () => {
    const prefixes = BASE_APPS.map(a => configOf(a).REDIS_KEY_PREFIX);
    expect(new Set(prefixes).size).toBe(1);
    expect(prefixes[0]).toMatch(/^\{[a-z]+\}:$/);
    const base = renderKustomize('deploy/base').filter(
      o => o.kind === 'ConfigMap',
    ) as (K8sObject & { data: Record<string, string> })[];
    for (const app of BASE_APPS)
      expect(configOf(app).BULLMQ_PREFIX).toBe(
        base.find(cm => cm.metadata.name.startsWith(`tickpulse-${app}-`))!.data
          .BULLMQ_PREFIX,
      );
  });

  it('has throttle-shadow compare with the unprefixed Go keys', () => {
    expect(configOf('throttle-shadow')).toMatchObject({
      COMPARE_ENABLED: 'true',
      COMPARE_REFERENCE_PREFIX: '',
    });
  });

  it('is the overlay the cutover runbook applies, with the same prefix', () => {
    const prefix = configOf('tick-writer').REDIS_KEY_PREFIX;
    expect(runbook).toContain('kubectl apply -k deploy/overlays/shadow');
    const compares = [
      ...runbook.matchAll(/compare --shadow-prefix '([^']+)'/g),
    ];
    expect(compares.length).toBeGreaterThan(0);
    for (const m of compares) expect(m[1]).toBe(prefix);
    expect(runbook).toContain(`REDIS_KEY_PREFIX=${prefix}`);
  });

  it('the runbook names every Go write path it disables, in the safe order', () => {
    const section = runbook.slice(runbook.indexOf('### 3. Switch'));
    const at = (s: string) => {
      const i = section.indexOf(s);
      expect({ s, found: i >= 0 }).toEqual({ s, found: true });
      return i;
    };
    // tickpulse writes the unprefixed keys before any Go writer is disabled.
    const tickpulseOn = at('tickpulse writes the unprefixed keys, beside Go');
    expect(at('Disable the Go `TICK:UPD` writer')).toBeGreaterThan(tickpulseOn);
    expect(at('Disable the Go universe writers')).toBeGreaterThan(tickpulseOn);
    for (const path of [
      'aggregate hook',
      '`SetAlert`',
      '`CreateStrategyFromPrompt`',
      '`initStrategyAlerts`',
    ])
      at(path);
  });
});

describe('deploy/jobs/universe-sync-migrate', () => {
  const objects = renderKustomize('deploy/jobs/universe-sync-migrate');
  type Job = K8sObject & {
    spec: {
      backoffLimit?: number;
      template: {
        metadata: { labels: Record<string, string> };
        spec: Deployment['spec']['template']['spec'] & {
          restartPolicy: string;
        };
      };
    };
  };
  const job = of<Job>(objects, 'Job')[0]!;
  const container = job?.spec.template.spec.containers[0] as Container & {
    command: string[];
  };

  it('renders a Job and its NetworkPolicy that validate against the Kubernetes schemas', () => {
    expect(objects.map(o => o.kind).sort()).toEqual(['Job', 'NetworkPolicy']);
    expect(validationErrors(objects)).toEqual([]);
  });

  it("runs universe-sync's migrate command with a bounded number of retries", () => {
    expect(container.command).toEqual([
      'node',
      'apps/universe-sync/dist/migrate.js',
    ]);
    // The image's WORKDIR is the pruned repo root: the command's source exists there.
    expect(
      existsSync(path.join(repoRoot, 'apps/universe-sync/src/migrate.ts')),
    ).toBe(true);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBeGreaterThan(0);
    expect(container.image).toMatch(
      /^registry\.example\.com\/tickpulse\/universe-sync:\d+\.\d+\.\d+$/,
    );
  });

  it('is as locked down as the apps, with the database URL from its own Secret', () => {
    const pod = job.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const url = container.env!.find(e => e.name === 'DATABASE_URL')!;
    expect(url.value).toBeUndefined();
    expect(url.valueFrom?.secretKeyRef).toEqual({
      name: 'tickpulse-universe-sync-migrate',
      key: 'DATABASE_URL',
    });
  });

  it('sets only variables migrate reads, with the channel universe-sync listens on', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cfg = require(
      path.join(repoRoot, 'apps/universe-sync/dist/config.js'),
    ) as {
      MigrateConfigSchema: { shape: Record<string, unknown> };
      loadConfig: (env: Record<string, string>) => {
        PG_NOTIFY_CHANNEL: string;
      };
    };
    const names = container.env!.map(e => e.name);
    expect(names.filter(n => !(n in cfg.MigrateConfigSchema.shape))).toEqual(
      [],
    );
    const channel = container.env!.find(
      e => e.name === 'PG_NOTIFY_CHANNEL',
    )!.value;
    const base = renderKustomize('deploy/base').find(
      o =>
        o.kind === 'ConfigMap' &&
        o.metadata.name.startsWith('tickpulse-universe-sync-'),
    ) as K8sObject & { data: Record<string, string> };
    const appEnv = Object.fromEntries(
      Object.entries(base.data).filter(([, v]) => v !== ''),
    );
    expect(
      cfg.loadConfig({ ...appEnv, ALLOW_UNAUTHENTICATED: 'true' })
        .PG_NOTIFY_CHANNEL,
    ).toBe(channel);
  });

  it('lets the Job reach only DNS and PostgreSQL', () => {
    const [np] = of<NetworkPolicy>(objects, 'NetworkPolicy');
    expect(job.spec.template.metadata.labels).toMatchObject(
      np!.spec.podSelector.matchLabels,
    );
    expect(np!.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(np!.spec.ingress ?? []).toEqual([]);
    expect(
      np!.spec.egress!.flatMap(r => r.ports!.map(p => p.port)).sort(),
    ).toEqual([53, 53, 5432]);
  });

  it('is documented in the runbook', () => {
    const readme = readFileSync(
      path.join(repoRoot, 'deploy/README.md'),
      'utf8',
    );
    expect(readme).toContain(
      'kubectl apply -k deploy/jobs/universe-sync-migrate',
    );
    expect(readme).toContain('tickpulse-universe-sync-migrate');
  });
});

describe('deploy/jobs/tickpulse-cli', () => {
  const objects = renderKustomize('deploy/jobs/tickpulse-cli');
  type Job = K8sObject & {
    spec: {
      backoffLimit?: number;
      template: {
        metadata: { labels: Record<string, string> };
        spec: Deployment['spec']['template']['spec'] & {
          restartPolicy: string;
        };
      };
    };
  };
  const job = of<Job>(objects, 'Job')[0]!;
  const container = job?.spec.template.spec.containers[0] as Container & {
    command: string[];
    args: string[];
    envFrom: {
      configMapRef?: { name: string };
      secretRef?: { name: string; optional?: boolean };
    }[];
  };
  const configMap = objects.find(o => o.kind === 'ConfigMap') as K8sObject & {
    data: Record<string, string>;
  };

  it('renders a Job, its ConfigMap and NetworkPolicy, valid against the Kubernetes schemas', () => {
    expect(objects.map(o => o.kind).sort()).toEqual([
      'ConfigMap',
      'Job',
      'NetworkPolicy',
    ]);
    expect(validationErrors(objects)).toEqual([]);
  });

  it('runs `tickpulse` from an app image once, the Secret overriding the ConfigMap', () => {
    expect(container.command).toEqual(['tickpulse']);
    expect(container.image).toMatch(
      /^registry\.example\.com\/tickpulse\/(ingest|tick-writer|universe-sync|throttle-shadow):\d+\.\d+\.\d+$/,
    );
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.backoffLimit).toBe(0);
    // envFrom: a later source wins, so the Secret comes last.
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata.name } },
      { secretRef: { name: 'tickpulse-cli', optional: true } },
    ]);
  });

  it('sets only variables the CLI reads, which it accepts', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cli = require(path.join(repoRoot, 'packages/cli/dist/config.js')) as {
      CliConfigSchema: { shape: Record<string, unknown> };
      loadConfig: (env: Record<string, string>) => { REDIS_URL?: string };
    };
    const names = Object.keys(configMap.data);
    expect(names.filter(n => !(n in cli.CliConfigSchema.shape))).toEqual([]);
    expect(cli.loadConfig(configMap.data).REDIS_URL).toBe('redis://redis:6379');
  });

  it("compares against the shadow overlay's prefix, as the runbook does", () => {
    const shadow = renderKustomize('deploy/overlays/shadow').find(
      o =>
        o.kind === 'ConfigMap' &&
        o.metadata.name.startsWith('tickpulse-tick-writer-'),
    ) as K8sObject & { data: Record<string, string> };
    const at = container.args.indexOf('--shadow-prefix');
    expect(container.args[0]).toBe('compare');
    expect(container.args[at + 1]).toBe(shadow.data.REDIS_KEY_PREFIX);
  });

  it('is as locked down as the apps and reaches only DNS, Redis and PostgreSQL', () => {
    expect(job.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const [np] = of<NetworkPolicy>(objects, 'NetworkPolicy');
    expect(job.spec.template.metadata.labels).toMatchObject(
      np!.spec.podSelector.matchLabels,
    );
    expect(np!.spec.ingress ?? []).toEqual([]);
    expect(
      np!.spec.egress!.flatMap(r => r.ports!.map(p => p.port)).sort(),
    ).toEqual([53, 53, 5432, 6379]);
  });

  it('is the Job the runbook applies', () => {
    const readme = readFileSync(
      path.join(repoRoot, 'deploy/README.md'),
      'utf8',
    );
    expect(readme).toContain('kubectl apply -k deploy/jobs/tickpulse-cli');
  });
});

describe('validateObject', () => {
  it('rejects an object that breaks the schema', () => {
    expect(() =>
      validateObject({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'bad' },
        spec: { ports: [{ port: 'not-a-number' }] },
      }),
    ).toThrow(/Service bad: .*port/);
  });

  it('rejects a kind it has no schema for', () => {
    expect(() =>
      validateObject({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
      }),
    ).toThrow(/no schema known/);
  });
});
