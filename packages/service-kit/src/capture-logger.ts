import { Writable } from 'node:stream';
import { createLogger, type Logger } from './logger.js';

/**
 * A logger with the shared conventions (redaction included) that writes its
 * raw lines into an array: for tests that grep what would reach a log.
 */
export function captureLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ service: 't', destination }) };
}
