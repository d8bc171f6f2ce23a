/**
 * When the feed must carry trades: `T.*` streams thousands a second in US
 * regular hours, so a subscribed connection that brings none for a while
 * is broken even if it answers every ping. Outside the window silence is
 * normal (nights, weekends).
 */
export type DataWindow =
  | { kind: 'always' }
  | {
      kind: 'weekdays';
      /** Minutes after midnight, New York time. */
      fromMin: number;
      toMin: number;
    };

const RANGE_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/**
 * Parses `always` or `HH:MM-HH:MM` (Monday to Friday, America/New_York).
 *
 * @returns the window, or a reason it is not one.
 */
export function parseDataWindow(
  text: string,
): { ok: true; window: DataWindow } | { ok: false; reason: string } {
  if (text === 'always') return { ok: true, window: { kind: 'always' } };
  const m = RANGE_RE.exec(text);
  if (!m)
    return {
      ok: false,
      reason:
        'must be "always" or HH:MM-HH:MM (New York time, Monday to Friday)',
    };
  const fromMin = Number(m[1]) * 60 + Number(m[2]);
  const toMin = Number(m[3]) * 60 + Number(m[4]);
  if (toMin > 24 * 60 || fromMin >= toMin)
    return { ok: false, reason: 'must end after it starts, by 24:00' };
  return { ok: true, window: { kind: 'weekdays', fromMin, toMin } };
}

const NEW_YORK = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** Whether `nowMs` falls inside the window (exchange holidays are not known: see the README). */
export function inDataWindow(window: DataWindow, nowMs: number): boolean {
  if (window.kind === 'always') return true;
  let weekday = '';
  let minutes = 0;
  for (const p of NEW_YORK.formatToParts(nowMs)) {
    if (p.type === 'weekday') weekday = p.value;
    else if (p.type === 'hour') minutes += Number(p.value) * 60;
    else if (p.type === 'minute') minutes += Number(p.value);
  }
  if (weekday === 'Sat' || weekday === 'Sun') return false;
  return minutes >= window.fromMin && minutes < window.toMin;
}
