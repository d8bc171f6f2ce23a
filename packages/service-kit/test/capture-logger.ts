import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/logger';

/** A shared-conventions logger writing its raw lines into an array (for secret greps). */
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
