import type { PolygonSim } from '@tickpulse/polygon-sim';
import { Gauge, type Registry } from 'prom-client';

/** Exposes the simulator's counters; read at scrape time from `sim.stats()`. */
export function registerSimMetrics(registry: Registry, sim: PolygonSim): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge(
    'tickpulse_sim_connections',
    'Open WebSocket connections',
    () => sim.stats().connections,
  );
  gauge(
    'tickpulse_sim_subscribed_connections',
    'Authenticated connections with a subscription',
    () => sim.stats().subscribed,
  );
  // Monotonic values exposed as gauges because they are read from the simulator, not incremented here.
  gauge(
    'tickpulse_sim_events_sent',
    'Events sent since start',
    () => sim.stats().eventsSent,
  );
  gauge(
    'tickpulse_sim_frames_sent',
    'Frames sent since start',
    () => sim.stats().framesSent,
  );
  gauge(
    'tickpulse_sim_evictions',
    'Connections evicted by a newer one on the same account',
    () => sim.stats().evictions,
  );
  gauge(
    'tickpulse_sim_auth_failures',
    'Rejected auth attempts',
    () => sim.stats().authFailures,
  );
  gauge(
    'tickpulse_sim_rate',
    'Configured trades per second',
    () => sim.stats().rate,
  );
}
