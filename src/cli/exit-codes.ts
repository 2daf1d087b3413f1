/**
 * Exit codes scripts can branch on. Stable: documented in the README and `bursar --help`.
 */
export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug, a 5xx from the service). */
  ERROR: 1,
  /** Bad arguments or a request the service rejected as invalid (400, 404, 409, 413, 415). */
  USAGE: 2,
  /** Missing or wrong API key, or the key's role may not do this (401, 403). */
  AUTH: 3,
  /** The service could not be reached (connection refused, timeout, 503). */
  UNAVAILABLE: 4,
  /** `bursar status --check`: some budget is at or over its critical threshold. */
  CRITICAL: 5,
  /** A budget denied the request (402). */
  DENIED: 6,
} as const;

/** An error the CLI reports as one line and turns into an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 402) return EXIT.DENIED;
  if (status === 503 || status === 429) return EXIT.UNAVAILABLE;
  if (status >= 400 && status < 500) return EXIT.USAGE;
  return EXIT.ERROR;
}
