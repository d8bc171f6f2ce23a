/** Default number of characters of an offending value that a message quotes. */
export const ECHO_MAX_CHARS = 64;

/**
 * Cuts a text to `max` characters, saying how long it was. For messages that
 * embed input (a validator's report naming the fields it got).
 */
export function truncateText(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}…(${text.length} chars)`;
}

/**
 * Quotes a value for an error message, log line or job `failedReason`,
 * bounded: a hostile or broken producer can send a megabyte where a ticker
 * belongs, and repeating it whole would turn one bad input into a megabyte of
 * logs and Redis. Strings are JSON-quoted (so whitespace and control
 * characters show), other values JSON-encoded; either is cut at `max`.
 */
export function echoValue(value: unknown, max = ECHO_MAX_CHARS): string {
  if (typeof value === 'string') {
    if (value.length <= max) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, max))}…(${value.length} chars)`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return truncateText(text, max);
}
