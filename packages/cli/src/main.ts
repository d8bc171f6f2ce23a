#!/usr/bin/env node
import { ConfigError, createKeys, echoValue } from '@tickpulse/contracts';
import { describeRedisTarget } from '@tickpulse/redis';
import {
  configWarnings,
  EXIT_CONFIG,
  redactUrlsIn,
  redisTarget,
  unsupportedNodeWarning,
} from '@tickpulse/service-kit';
import {
  inspectCommand,
  reconcileCommand,
  statusCommand,
  syncCommand,
} from './commands.js';
import { compareCommand } from './compare.js';
import { loadConfig } from './config.js';
import { futureTicksCommand } from './future-ticks.js';
import {
  connectCommandRedis,
  RedisUnreachableError,
  redisUnreachableMessage,
} from './redis-connection.js';
import { pruneTickersCommand } from './prune-tickers.js';
import { fetchStrategyRow } from './strategy-lookup.js';
import { throttleReportCommand } from './throttle-report.js';
import { upCommand } from './up.js';

const USAGE = `usage: tickpulse <command>

  up                 build output must exist (npm start does it): run the whole system locally
                     (polygon-sim unless POLYGON_API_KEY is set, ingest, tick-writer, universe-sync,
                     throttle-shadow) with live status lines until Ctrl-C
  status             what Redis holds (TICK:UPD, STRAT:*:UNIV) and the queue depths
  sync <strategyId>  enqueue one strategy's universe sync
  reconcile          enqueue a full universe reconcile
  inspect <ticker>   a ticker's last eligible trade and the universes that hold it
  future-ticks [--clamp | --remove]
                     list TICK:UPD members more than 10 s in the future (they freeze their ticker);
                     --clamp sets them to now, --remove deletes them
  prune-tickers (--invalid | --keep FILE) [--remove [--force]]
                     list TICK:UPD members that are not ticker symbols, or not in FILE (one listed
                     symbol per line); --remove deletes them (the repair after a symbol flood)
  compare [--reference-prefix P] [--shadow-prefix P] [--json]
                     TICK:UPD and STRAT:*:UNIV of the Go-written keys vs tickpulse's shadow keys
                     (reference default: unprefixed; shadow default: REDIS_KEY_PREFIX)
  throttle-report [--since 1h] [--json] [--url U]
                     should per-ticker throttling be on? runs, evaluations and late updates of
                     legacy, Go per-ticker and lossless, from throttle-shadow (THROTTLE_SHADOW_URL)

Environment: REDIS_URL (or REDIS_SENTINELS + REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES), DATABASE_URL, REDIS_KEY_PREFIX, BULLMQ_PREFIX, POLYGON_API_KEY, THROTTLE_SHADOW_URL (see README).`;

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  const print = (line: string) => process.stdout.write(`${line}\n`);
  const node = unsupportedNodeWarning(process.version);
  if (node) process.stderr.write(`tickpulse: warning: ${node}\n`);
  if (!command || command === 'help' || command === '--help') {
    print(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig(process.env);
  for (const warning of configWarnings(config))
    process.stderr.write(`tickpulse: warning: ${warning}\n`);
  if (command === 'up') return upCommand(config, print);
  if (command === 'throttle-report')
    return throttleReportCommand(
      {
        url:
          config.THROTTLE_SHADOW_URL ??
          `http://127.0.0.1:${config.UP_PORT_BASE + 4}`,
        print,
        printError: line => process.stderr.write(`${line}\n`),
      },
      argv.slice(1),
    );

  const target = redisTarget(config);
  const redis = await connectCommandRedis(target, 'cli');
  const deps = {
    redis,
    keys: createKeys(config.REDIS_KEY_PREFIX),
    bullPrefix: config.BULLMQ_PREFIX,
    print,
  };
  try {
    switch (command) {
      case 'status':
        return await statusCommand(deps, describeRedisTarget(target));
      case 'sync':
        return await syncCommand(
          {
            ...deps,
            fetchStrategy: id => fetchStrategyRow(config.DATABASE_URL, id),
          },
          arg,
        );
      case 'reconcile':
        return await reconcileCommand(deps);
      case 'inspect':
        return await inspectCommand(deps, arg);
      case 'future-ticks': {
        const fix =
          arg === undefined
            ? 'list'
            : arg === '--clamp'
              ? 'clamp'
              : arg === '--remove'
                ? 'remove'
                : undefined;
        if (!fix) {
          print(`unknown option ${echoValue(arg)}\n\n${USAGE}`);
          return 2;
        }
        return await futureTicksCommand(deps, fix);
      }
      case 'prune-tickers':
        return await pruneTickersCommand(
          { ...deps, printError: line => process.stderr.write(`${line}\n`) },
          argv.slice(1),
        );
      case 'compare':
        return await compareCommand(
          {
            redis,
            defaultShadowPrefix: config.REDIS_KEY_PREFIX,
            print,
            printError: line => process.stderr.write(`${line}\n`),
          },
          argv.slice(1),
        );
      default:
        print(`unknown command ${echoValue(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    // The connection is never re-established, so a Redis that went away
    // mid-command ends it; say so in the same words as a failed connect.
    if (redis.status === 'end' && !(err instanceof RedisUnreachableError))
      throw new RedisUnreachableError(
        redisUnreachableMessage(target, (err as Error).message),
      );
    throw err;
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    process.stderr.write(
      `tickpulse: ${redactUrlsIn((err as Error).message)}\n`,
    );
    process.exit(1);
  },
);
