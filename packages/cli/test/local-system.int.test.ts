import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tickpulse/testkit';
import { startApps, type AppSpec } from '../src/local-system';

// Two stand-in apps. The server listens (and answers /healthz) only after a
// pause, as a slow-starting polygon-sim would, and takes a moment to exit on
// SIGTERM, as ingest does with its last flush. The client dials the server
// once at start-up and exits at once on SIGTERM.
const SERVER = `
const http = require('node:http');
setTimeout(() => http.createServer((q, s) => s.end('ok'))
  .listen(Number(process.env.HTTP_PORT), '127.0.0.1'), 500);
process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300));
`;
const CLIENT = `
const s = require('node:net').connect(Number(process.env.DIAL_PORT), '127.0.0.1');
s.on('connect', () => { console.error('dial ok'); s.end(); });
s.on('error', e => console.error('dial failed ' + e.code));
setInterval(() => undefined, 1000);
process.on('SIGTERM', () => process.exit(0));
`;

describe('startApps (the processes behind `tickpulse up`)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tp-local-system-'));
    writeFileSync(join(dir, 'server.js'), SERVER);
    writeFileSync(join(dir, 'client.js'), CLIENT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts an app only once the one before it answers /healthz, and stops the intake first', async () => {
    const serverPort = await freePort();
    const specs: AppSpec[] = [
      {
        name: 'server',
        script: join(dir, 'server.js'),
        port: serverPort,
        env: {},
        healthyBeforeNext: true,
        stopFirst: true,
      },
      {
        name: 'client',
        script: join(dir, 'client.js'),
        port: await freePort(),
        env: { DIAL_PORT: String(serverPort) },
      },
    ];
    const echoed: string[] = [];
    const events: string[] = [];
    const system = startApps({
      specs,
      logDir: join(dir, 'logs'),
      baseEnv: { PATH: process.env.PATH },
      echo: line => void echoed.push(line),
      onExit: app => void events.push(`${app} exited`),
    });
    while (!echoed.some(l => l.startsWith('[client] dial'))) {
      await new Promise(r => setTimeout(r, 50));
    }
    expect(echoed).toContain('[client] dial ok');

    const codes = await system.stop(10_000, async () => {
      events.push('between');
    });
    expect(codes).toEqual({ server: 0, client: 0 });
    expect(events).toEqual(['server exited', 'between', 'client exited']);
  });
});
