import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Debian package of each binary the monitoring tests run (scripts/ensure-test-servers.sh installs them). */
const PACKAGES = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
} as const;
export type Binary = keyof typeof PACKAGES;

/**
 * The binary's path, or an error naming the package to install: a missing binary fails the
 * test that needs it, it never skips it.
 */
export function binary(name: Binary): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is not installed: run \`bash scripts/ensure-test-servers.sh\` (Debian package ${PACKAGES[name]})`,
  );
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion; a non-zero exit is a result, not an exception. */
export function run(name: Binary, args: string[], options: { cwd?: string } = {}): Promise<RunResult> {
  const file = binary(name);
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: options.cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}
