const WARNING = /Node\.js v\d+\S* is not supported: tickpulse needs Node\.js/;

/**
 * `text` without the lines of the unsupported-Node.js warning (the CLI's
 * stderr line, an app's log line). Tests that pin exact output stay true
 * when run on an older Node, where that warning is the only difference;
 * the warning itself has tests of its own.
 */
export function withoutNodeWarning(text: string): string {
  return text
    .split('\n')
    .filter(line => !WARNING.test(line))
    .join('\n');
}
