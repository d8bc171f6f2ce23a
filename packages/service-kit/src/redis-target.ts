/** A `host:port` pair from `REDIS_SENTINELS` / `REDIS_CLUSTER_NODES`. */
export interface HostPort {
  host: string;
  port: number;
}

/** Where Redis is and how to authenticate, resolved from the environment once. */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | {
      mode: 'sentinel';
      sentinels: HostPort[];
      /** The monitored master's name (`sentinel monitor <name> …`). */
      name: string;
      sentinelPassword?: string;
      username?: string;
      password?: string;
    }
  | {
      mode: 'cluster';
      nodes: HostPort[];
      username?: string;
      password?: string;
    };
