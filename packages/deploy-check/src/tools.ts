import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Repository root (this package lives at packages/deploy-check). */
export const repoRoot = path.resolve(__dirname, '../../..');

/** Result of running an external tool. */
export interface ToolRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a required command-line tool from the repository root. A missing tool
 * is an error that says how to install it — never a silent skip, so a CI
 * machine without the tool fails instead of passing without checking.
 *
 * @param tool executable name on PATH
 * @param args its arguments
 * @param install the command that provides it, quoted in the error
 */
export function runTool(
  tool: string,
  args: string[],
  install: string,
): ToolRun {
  const res = spawnSync(tool, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) {
    const code = (res.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new Error(
        `${tool} is not installed: run \`bash .ci/tools.sh\` (or \`${install}\`)`,
      );
    throw res.error;
  }
  return {
    status: res.status ?? -1,
    stdout: res.stdout,
    stderr: res.stderr,
  };
}
