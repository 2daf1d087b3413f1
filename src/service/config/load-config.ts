import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ValidationError } from '../../validation/errors.ts';
import { type ServiceConfig, serviceConfigSchema } from './config-schema.ts';

/** Variables read on top of the file: name → key path, and whether the value is a number. */
export const ENV_KEYS: Readonly<Record<string, { path: string[]; number?: boolean }>> = {
  BURSAR_HOST: { path: ['host'] },
  BURSAR_OTLP_PORT: { path: ['otlp', 'port'], number: true },
  BURSAR_API_PORT: { path: ['api', 'port'], number: true },
  BURSAR_DATA_DIR: { path: ['store', 'dataDir'] },
  BURSAR_STORE: { path: ['store', 'kind'] },
  BURSAR_LOG_LEVEL: { path: ['log', 'level'] },
};

/** Command-line overrides, already parsed by the CLI; they win over file and environment. */
export interface ConfigOverrides {
  host?: string;
  otlpPort?: number;
  apiPort?: number;
  dataDir?: string;
  store?: string;
}

export class ConfigError extends ValidationError {
  constructor(field: string, reason: string, origin: string) {
    super(field, reason, origin);
    this.name = 'ConfigError';
  }
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next))
      throw new ConfigError(path.join('.'), `${key} must be a mapping`, 'config');
    node = node[key] as Tree;
  }
  node[path.at(-1)!] = value;
}

function readYaml(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError('', `cannot read: ${(error as Error).message}`, `config ${file}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError('', e.message.split('\n')[0]!, `config ${file}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias to no anchor, or an alias bomb: the yaml library throws while resolving.
    throw new ConfigError('', (error as Error).message, `config ${file}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError('', 'the top level must be a mapping of keys', `config ${file}`);
  return value as Tree;
}

/** Replaces `keyEnv` / `secretEnv` with the variable's value so the rest of the service sees one shape. */
function resolveSecrets(config: ServiceConfig, env: NodeJS.ProcessEnv, origin: string): ServiceConfig {
  config.auth.keys.forEach((k, i) => {
    if (k.keyEnv === undefined) return;
    const value = env[k.keyEnv];
    if (!value || value.length < 16)
      throw new ConfigError(
        `auth.keys.${i}.keyEnv`,
        `variable ${k.keyEnv} is unset or shorter than 16 characters`,
        origin,
      );
    k.key = value;
  });
  const seen = new Set<string>();
  config.auth.keys.forEach((k, i) => {
    if (seen.has(k.key!)) throw new ConfigError(`auth.keys.${i}.key`, 'the same key is listed twice', origin);
    seen.add(k.key!);
  });
  config.webhooks.forEach((w, i) => {
    if (w.secretEnv === undefined) return;
    const value = env[w.secretEnv];
    if (!value || value.length < 16)
      throw new ConfigError(
        `webhooks.${i}.secretEnv`,
        `variable ${w.secretEnv} is unset or shorter than 16 characters`,
        origin,
      );
    w.secret = value;
  });
  return config;
}

/**
 * The service configuration: defaults, then the YAML file (`--config` or BURSAR_CONFIG),
 * then BURSAR_* variables, then flags. Throws a ConfigError naming the key that is wrong.
 */
export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigOverrides } = {},
): ServiceConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.BURSAR_CONFIG;
  const tree: Tree = file ? readYaml(file) : {};
  const origin = file ? `config ${file}` : 'config';
  for (const [name, { path, number }] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = number ? Number(raw) : raw;
    if (number && !Number.isInteger(value))
      throw new ConfigError(
        path.join('.'),
        `${name}=${JSON.stringify(raw)} is not a whole number`,
        'environment',
      );
    setPath(tree, path, value);
  }
  const o = options.overrides ?? {};
  if (o.host !== undefined) setPath(tree, ['host'], o.host);
  if (o.otlpPort !== undefined) setPath(tree, ['otlp', 'port'], o.otlpPort);
  if (o.apiPort !== undefined) setPath(tree, ['api', 'port'], o.apiPort);
  if (o.dataDir !== undefined) setPath(tree, ['store', 'dataDir'], o.dataDir);
  if (o.store !== undefined) setPath(tree, ['store', 'kind'], o.store);
  return resolveSecrets(parseConfig(tree, origin), env, origin);
}

/** Validates an already-built tree (tests and embedding callers). */
export function parseConfig(tree: unknown, origin = 'config'): ServiceConfig {
  const result = serviceConfigSchema.safeParse(tree);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const more =
    result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem(s))` : '';
  throw new ConfigError(issue.path.map(String).join('.'), `${issue.message}${more}`, origin);
}
