import { InvalidArgumentError, Option } from 'commander';
import { ApiClient } from '../client.ts';
import { FORMATS } from '../output.ts';

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
}

export function clientOf(g: GlobalOptions): ApiClient {
  return new ApiClient({
    ...(g.url !== undefined ? { url: g.url } : {}),
    ...(g.apiKey !== undefined ? { apiKey: g.apiKey } : {}),
  });
}

export function formatOption(): Option {
  return new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table');
}

/** Output goes through one place so tests and pipes see exactly what a person sees. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `key=value` pairs (repeatable option) into a record. */
export function collectPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got ${JSON.stringify(value)}`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
