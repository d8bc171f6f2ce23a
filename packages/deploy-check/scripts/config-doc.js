// Renders docs/configuration.md from every app's ConfigSchema (the
// description, accepted forms and default of each field), so the reference
// cannot drift from what the apps enforce; test/config-doc.test.ts fails when
// the committed file differs. Reads the built schemas (dist/), so build first:
//   npm run docs:config
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const OUT = path.join(root, 'docs/configuration.md');
const REGENERATE = 'npm run docs:config';

const serviceKit = () =>
  require(path.join(root, 'packages/service-kit/dist/index.js'));

/** The Redis topology variables: documented once, not in every app's table. */
const REDIS_CONNECTION = [
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_SENTINEL_PASSWORD',
  'REDIS_CLUSTER_NODES',
  'REDIS_USERNAME',
  'REDIS_PASSWORD',
  'BULLMQ_PREFIX',
];
const TOPOLOGY_ONLY = new Set(REDIS_CONNECTION.slice(1, 7));

/** Every reader of the environment, in the order of the reference. */
const READERS = [
  {
    heading: 'ingest',
    module: 'apps/ingest/dist/config.js',
    intro:
      'The Polygon feed reader and leader ([README](../apps/ingest/README.md)).',
  },
  {
    heading: 'tick-writer',
    module: 'apps/tick-writer/dist/config.js',
    intro:
      'The `ticks` worker writing `TICK:UPD` ([README](../apps/tick-writer/README.md)).',
  },
  {
    heading: 'universe-sync',
    module: 'apps/universe-sync/dist/config.js',
    intro:
      'PostgreSQL `strategies` → `STRAT:<id>:UNIV` and the /v1 API ([README](../apps/universe-sync/README.md)).',
  },
  {
    heading: 'throttle-shadow',
    module: 'apps/throttle-shadow/dist/config.js',
    intro:
      'The shadow comparison and the planner API ([README](../apps/throttle-shadow/README.md)).',
  },
  {
    heading: 'polygon-sim',
    module: 'apps/polygon-sim/dist/config.js',
    intro:
      'The local Polygon simulator ([README](../apps/polygon-sim/README.md)). `REDIS_URL`, `REDIS_KEY_PREFIX` and `BULLMQ_PREFIX` are accepted for uniformity but unused.',
  },
  {
    heading: 'CLI (`tickpulse`)',
    module: 'packages/cli/dist/config.js',
    schema: 'CliConfigSchema',
    intro:
      'The operator CLI and `npm start` ([docs/cli.md](cli.md)); `up` passes the common variables on to the apps it runs.',
  },
];

const cell = text => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(rows) {
  const lines = [
    '| Variable | Accepts | Default | Meaning |',
    '|---|---|---|---|',
  ];
  for (const r of rows) {
    const aliases = r.aliases.length
      ? ` (deprecated: ${r.aliases.map(a => `\`${a}\``).join(', ')})`
      : '';
    lines.push(
      `| \`${r.name}\`${aliases} | ${cell(r.accepts)} | ${cell(r.default)} | ${cell(r.description)} |`,
    );
  }
  return lines.join('\n');
}

function load(reader) {
  const mod = require(path.join(root, reader.module));
  const schema = mod[reader.schema ?? 'ConfigSchema'];
  if (!schema) throw new Error(`${reader.module} exports no schema`);
  return { schema, renamed: mod.RENAMED_ENV ?? {} };
}

/** The whole reference, as docs/configuration.md should hold it. */
function renderConfigDoc() {
  const { describeEnvSchema, durationForms, MAX_DURATION_MS } = serviceKit();
  const sections = READERS.map(reader => {
    const { schema, renamed } = load(reader);
    return { reader, renamed, rows: describeEnvSchema(schema, renamed) };
  });
  const ingestRows = sections[0].rows;
  const redisRows = REDIS_CONNECTION.map(n =>
    ingestRows.find(r => r.name === n),
  );
  const deprecated = sections.flatMap(({ reader, renamed }) =>
    Object.entries(renamed).map(
      ([old, current]) => `| \`${old}\` | \`${current}\` | ${reader.heading} |`,
    ),
  );
  const parts = [
    `# Configuration

<!-- Generated from each app's ConfigSchema by \`${REGENERATE}\`; do not edit by hand. -->

Every environment variable tickpulse reads, app by app, rendered from each app's \`ConfigSchema\`
(\`apps/<app>/src/config.ts\`; the CLI's in \`packages/cli/src/config.ts\`): a variable's meaning is the
\`.describe()\` beside its validation. To change this page, change the schema and run
\`${REGENERATE}\`; \`packages/deploy-check/test/config-doc.test.ts\` fails while the two differ.

Only environment variables, validated at start-up: a bad configuration logs one \`fatal\` JSON line
naming every bad or missing variable and exits with status 78. Empty variables count as unset. A set
variable one typo away from a known name (\`REDIS_ULR\`, \`TICKS_MAX_PENDING_JOB\`) is warned about at
start-up with the name it probably meant, and otherwise ignored.

## Durations

Every duration variable accepts a whole number with a unit — \`250ms\`, \`10s\`, \`15m\`, \`1h\`, \`2d\` —
or a plain whole number in the unit the variable's name implies, as before units were accepted:
milliseconds in \`*_MS\` names and in names without a unit (\`RECONCILE_INTERVAL\`,
\`SUMMARY_INTERVAL\`), seconds in \`STATUS_INTERVAL_S\`, days in \`TICK_RETENTION_DAYS\`. So
\`FLUSH_INTERVAL_MS=50\` and \`FLUSH_INTERVAL_MS=50ms\` are the same, and \`TICK_RETENTION_DAYS=36h\` is
a day and a half. Anything else (\`1.5s\`, \`-5s\`, \`1h30m\`, \`10 sec\`) is a configuration error
that names the variable and says "must be ${durationForms('ms')}"
(seconds or days for those names).

Every duration that drives a timer is at most ${MAX_DURATION_MS} ms (about 24.8 days: Node's timers fire
after 1 ms beyond that, so \`600h\` would fire continuously); a longer one is a configuration error
naming the variable and the maximum. \`TICK_RETENTION_DAYS\` is 1 to 3650 days.

## Deprecated names

Renamed variables are still read under their old names, with one \`warn\` line at start-up naming the
new one. Setting both to different values is a configuration error.

| Deprecated | Use instead | Read by |
|---|---|---|
${deprecated.join('\n')}

## Redis connection (every app and the CLI)

Set exactly one of \`REDIS_URL\`, \`REDIS_SENTINELS\`, \`REDIS_CLUSTER_NODES\`; none set means the default
standalone URL. Mixing them, a sentinel list without its master name, or a non-hash-tag
\`BULLMQ_PREFIX\` on a cluster is a configuration error naming the variables. Every app and the CLI
read these; the tables below list only \`REDIS_URL\` and \`BULLMQ_PREFIX\` of them.

${table(redisRows)}`,
  ];
  for (const { reader, rows } of sections)
    parts.push(
      `## ${reader.heading}\n\n${reader.intro}\n\n${table(rows.filter(r => !TOPOLOGY_ONLY.has(r.name)))}`,
    );
  return parts.join('\n\n') + '\n';
}

module.exports = { renderConfigDoc, OUT, REGENERATE };

if (require.main === module) {
  fs.writeFileSync(OUT, renderConfigDoc());
  console.log(`wrote ${path.relative(root, OUT)}`);
}
