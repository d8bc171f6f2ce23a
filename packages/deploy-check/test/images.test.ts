import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot, runTool } from '../src/tools.js';

const apps = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../apps.json'), 'utf8'),
) as Record<string, number>;
const template = fs.readFileSync(
  path.join(repoRoot, 'deploy/docker/Dockerfile.template'),
  'utf8',
);

/** Dockerfile instructions, with line continuations joined and comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map(l => l.trim())
    .filter(l => l && !l.startsWith('#'))
    .map(l => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

describe.each(Object.entries(apps))('apps/%s/Dockerfile', (app, port) => {
  const file = path.join(repoRoot, 'apps', app, 'Dockerfile');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const ins = instructions(text);
  const stages = ins.filter(i => i.op === 'FROM');
  const runner = ins.slice(ins.lastIndexOf(stages[stages.length - 1]!));

  it('is the shared template stamped with the app (npm run stamp)', () => {
    expect(text).toBe(
      template.replaceAll('__APP__', app).replaceAll('__PORT__', String(port)),
    );
  });

  // The images run the oldest Node `engines` allows (22: what the main CI
  // run tests, and what fastify's cookie 2 requires); CI also tests 24.
  it('builds and runs every stage on the Node base image `engines` names', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'),
    ) as { engines: { node: string } };
    const major = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    expect(major).toBe('22');
    const arg = ins.find(
      i => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='),
    );
    expect(arg?.args).toMatch(
      new RegExp(`^NODE_IMAGE=node:${major}(\\.\\d+)*-[a-z]+-slim$`),
    );
    for (const from of stages) expect(from.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it('prunes with turbo, installs from the pruned lockfile and drops dev dependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const runs = ins.filter(i => i.op === 'RUN').map(i => i.args);
    expect(runs).toContainEqual(
      `turbo prune @tickpulse/${app} @tickpulse/cli --docker`,
    );
    expect(runs.some(r => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs).toContainEqual(
      `npx turbo run build --filter=@tickpulse/${app}... --filter=@tickpulse/cli...`,
    );
    expect(runs.some(r => /npm (prune|ci) --omit=dev/.test(r))).toBe(true);
  });

  // The runbook's steps run as `kubectl exec deploy/<app> -- tickpulse …`;
  // prune-start.int.test.ts runs the shim from the pruned tree.
  it('puts the operator CLI on PATH as `tickpulse`, linked to its shim', () => {
    const runs = runner.filter(i => i.op === 'RUN').map(i => i.args);
    expect(runs.join(' && ')).toMatch(
      /(^|&& )ln -s \/app\/packages\/cli\/bin\/tickpulse \/usr\/local\/bin\/tickpulse( |$)/,
    );
    const cli = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8'),
    ) as { bin: Record<string, string> };
    expect(cli.bin).toEqual({ tickpulse: 'bin/tickpulse' });
    const shim = path.join(repoRoot, 'packages/cli/bin/tickpulse');
    expect(fs.statSync(shim).mode & 0o111).toBe(0o111);
  });

  it('runs node as PID 1 as a numeric non-root user in production mode', () => {
    const user = runner.filter(i => i.op === 'USER').pop()?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(
      runner.some(i => i.op === 'ENV' && /NODE_ENV=production/.test(i.args)),
    ).toBe(true);
    const cmd = ins.filter(i => i.op === 'CMD').pop()?.args;
    expect(JSON.parse(cmd ?? 'null')).toEqual([
      'node',
      `apps/${app}/dist/main.js`,
    ]);
    expect(runner.find(i => i.op === 'EXPOSE')?.args).toBe(String(port));
    // Nothing is installed or written at run time.
    expect(ins.some(i => i.op === 'ENTRYPOINT')).toBe(false);
  });
});

describe('.dockerignore', () => {
  it('keeps installed and built artefacts out of the build context', () => {
    const lines = fs
      .readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n');
    for (const p of ['node_modules', '**/dist', '.turbo', 'out', 'coverage'])
      expect(lines).toContain(p);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(
    fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'),
    {
      merge: true,
    },
  ) as {
    services: Record<
      string,
      {
        build?: { context: string; dockerfile: string };
        command?: string[];
        environment?: Record<string, string>;
        depends_on?: Record<string, { condition: string }> | string[];
        profiles?: string[];
        read_only?: boolean;
        volumes?: string[];
      }
    >;
  };
  const services = compose.services;

  it('builds every app from its own Dockerfile, which exists', () => {
    const built = Object.entries(services).filter(([, s]) => s.build);
    expect(built.map(([n]) => n).sort()).toEqual(Object.keys(apps).sort());
    for (const [name, s] of built) {
      expect(s.build).toEqual({
        context: '.',
        dockerfile: `apps/${name}/Dockerfile`,
      });
      expect(fs.existsSync(path.join(repoRoot, s.build!.dockerfile))).toBe(
        true,
      );
      expect(s.read_only).toBe(true);
      expect(s.environment?.HTTP_PORT).toBe(String(apps[name]));
    }
  });

  it('runs Redis with noeviction and persistence, and apps wait for healthy dependencies', () => {
    expect(services.redis?.command?.join(' ')).toMatch(
      /--maxmemory-policy noeviction.*--appendonly yes.*--appendfsync everysec/,
    );
    for (const name of [
      'ingest',
      'tick-writer',
      'universe-sync',
      'throttle-shadow',
    ]) {
      const deps = services[name]?.depends_on as Record<
        string,
        { condition: string }
      >;
      expect(deps.redis).toEqual({ condition: 'service_healthy' });
      expect(services[name]?.environment?.REDIS_URL).toBe('redis://redis:6379');
    }
    expect(services['universe-sync']?.environment?.DATABASE_URL).toMatch(
      /@postgres:5432\//,
    );
    expect(services.ingest?.environment?.POLYGON_WS_URL).toContain(
      'polygon-sim:9100',
    );
  });

  it('ships no default secret: each is required or generated at start', () => {
    const text = fs.readFileSync(
      path.join(repoRoot, 'docker-compose.yml'),
      'utf8',
    );
    const defaults = [
      ...text.matchAll(
        /(?<!\$)\$\{([A-Z_]*(?:PASSWORD|TOKEN|SECRET)[A-Z_]*)(:?[-?])?([^}]*)\}/g,
      ),
    ].map(m => ({ name: m[1], op: m[2] ?? '', value: m[3] }));
    expect(defaults.length).toBeGreaterThan(2);
    for (const d of defaults)
      // `:?` refuses to start without it; an empty `:-` default is filled at start (Grafana).
      expect({
        ...d,
        ok: d.op === ':?' || (d.op === ':-' && d.value === ''),
      }).toEqual({
        ...d,
        ok: true,
      });
    expect(services.grafana?.environment?.GRAFANA_ADMIN_PASSWORD).toBe(
      '${GRAFANA_ADMIN_PASSWORD:-}',
    );
    // `$$` is compose's escape: the shell in the container expands it at start.
    expect(
      (services.grafana as { entrypoint?: string[] }).entrypoint?.join(' '),
    ).toContain(
      'GF_SECURITY_ADMIN_PASSWORD="$${GRAFANA_ADMIN_PASSWORD:-$$(head -c 24 /dev/urandom',
    );
  });

  it("installs the NOTIFY trigger only with the `trigger` profile, with universe-sync's image", () => {
    const m = services['universe-sync-migrate'] as (typeof services)[string] & {
      image?: string;
    };
    expect(m.profiles).toEqual(['trigger']);
    expect(m.command).toEqual(['node', 'apps/universe-sync/dist/migrate.js']);
    expect(m.image).toBe(
      (services['universe-sync'] as { image?: string }).image,
    );
    expect(m.environment?.DATABASE_URL).toBe(
      services['universe-sync']?.environment?.DATABASE_URL,
    );
    expect(m.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
    });
  });

  it('has Prometheus and Grafana in the monitoring profile, with the rules and dashboard mounted', () => {
    for (const name of ['prometheus', 'grafana'])
      expect(services[name]?.profiles).toEqual(['monitoring']);
    const mounted = [
      ...(services.prometheus?.volumes ?? []),
      ...(services.grafana?.volumes ?? []),
    ]
      .map(v => v.split(':')[0]!)
      .filter(v => v.startsWith('./'));
    for (const v of mounted)
      expect(fs.existsSync(path.join(repoRoot, v))).toBe(true);
    expect(mounted).toEqual(
      expect.arrayContaining([
        './deploy/monitoring',
        './deploy/monitoring/grafana',
      ]),
    );
  });
});

describe('deploy/postgres/init/01-strategies.sql', () => {
  it('creates the demo strategies on a real PostgreSQL and can run twice', () => {
    const schema = `deploy_check_${process.pid}_${Date.now()}`;
    const url =
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const sql = 'deploy/postgres/init/01-strategies.sql';
    const run = runTool(
      'psql',
      [
        url,
        '-v',
        'ON_ERROR_STOP=1',
        '-qtA',
        '-c',
        `CREATE SCHEMA ${schema}`,
        '-c',
        `SET search_path TO ${schema}`,
        '-f',
        sql,
        '-f',
        sql,
        '-c',
        `SELECT count(*) || ',' || count(*) FILTER (WHERE alertactive AND cardinality(alert_universe_full) > 0) FROM ${schema}.strategies`,
        '-c',
        `DROP SCHEMA ${schema} CASCADE`,
      ],
      'apt-get install -y postgresql-client',
    );
    expect({
      status: run.status,
      stderr: run.stderr.replace(/NOTICE:.*\n/g, ''),
    }).toEqual({
      status: 0,
      stderr: expect.not.stringContaining('ERROR'),
    });
    expect(run.stdout.trim().split('\n')).toContain('6,3');
  });
});
