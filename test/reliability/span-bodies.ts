/**
 * ExportTraceServiceRequest bodies written straight to the wire format, fast enough to feed
 * the service at full speed from the test process (the soak, cardinality and overload
 * tests): GenAI chat spans with unique ids, plus the shapes an attacker would send.
 */

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A length-delimited field. */
export function field(n: number, inner: Buffer): Buffer {
  return Buffer.concat([varint((n << 3) | 2), varint(inner.length), inner]);
}
const str = (n: number, s: string) => field(n, Buffer.from(s));
const fixed64 = (n: number, v: bigint) => {
  const b = Buffer.alloc(9);
  b[0] = (n << 3) | 1;
  b.writeBigUInt64LE(v, 1);
  return b;
};
/** A KeyValue (attributes field `n`) with a string or int value. */
export function kv(key: string, value: string | number, n = 9): Buffer {
  const any = typeof value === 'string' ? str(1, value) : Buffer.concat([Buffer.from([0x18]), varint(value)]);
  return field(n, Buffer.concat([str(1, key), field(2, any)]));
}

let seq = 0;
/** trace_id and span_id fields, unique within the process run (and across runs by the random prefix). */
const runPrefix = Math.floor(Math.random() * 0xffffffff);
function ids(): Buffer {
  seq++;
  const t = Buffer.alloc(16);
  t.writeUInt32BE(runPrefix, 0);
  t.writeUInt32BE(seq, 12);
  const s = Buffer.alloc(8);
  s.writeUInt32BE((runPrefix | 1) >>> 0, 0);
  s.writeUInt32BE(seq, 4);
  return Buffer.concat([field(1, t), field(2, s)]);
}

export interface ChatSpan {
  input: number;
  output: number;
  agent?: string;
  tenant?: string;
  endMs?: number;
}

const LOADED_AT = Date.now();
/** The fields every span of the same counts and end time shares, written once. */
const constantParts = new Map<string, Buffer>();

/**
 * One GenAI chat span as real SDKs write it (ids, name, times, semconv attributes, two HTTP
 * ones). Spans end when this module was loaded unless told otherwise.
 */
export function chatSpan(s: ChatSpan): Buffer {
  const endMs = s.endMs ?? LOADED_AT;
  const key = `${s.input}:${s.output}:${endMs}`;
  let constant = constantParts.get(key);
  if (constant === undefined) {
    const end = BigInt(endMs) * 1_000_000n;
    constant = Buffer.concat([
      str(5, 'chat gpt-4o-mini'),
      fixed64(7, end - 800_000_000n),
      fixed64(8, end),
      kv('gen_ai.operation.name', 'chat'),
      kv('gen_ai.provider.name', 'openai'),
      kv('gen_ai.request.model', 'gpt-4o-mini'),
      kv('gen_ai.usage.input_tokens', s.input),
      kv('gen_ai.usage.output_tokens', s.output),
      kv('server.address', 'api.openai.com'),
      kv('http.response.status_code', 200),
    ]);
    if (constantParts.size > 10_000) constantParts.clear();
    constantParts.set(key, constant);
  }
  return field(
    2,
    Buffer.concat([
      ids(),
      constant,
      ...(s.agent !== undefined ? [kv('gen_ai.agent.name', s.agent)] : []),
      ...(s.tenant !== undefined ? [kv('bursar.scope.tenant', s.tenant)] : []),
    ]),
  );
}

/** A request: resources, each with its attributes and its spans (ScopeSpans fields). */
export function tracesBody(resources: { attributes: Record<string, string>; spans: Buffer[] }[]): Buffer {
  return Buffer.concat(
    resources.map((r) =>
      field(
        1,
        Buffer.concat([
          field(1, Buffer.concat(Object.entries(r.attributes).map(([k, v]) => kv(k, v, 1)))),
          field(2, Buffer.concat([field(1, str(1, 'bursar-test')), ...r.spans])),
        ]),
      ),
    ),
  );
}

/** One span whose model attribute is an array of `n` empty kvlists: 4 bytes each on the wire. */
export function nestedBombBody(n: number): Buffer {
  const element = Buffer.from([0x0a, 0x02, 0x32, 0x00]);
  const array = field(5, Buffer.concat(Array<Buffer>(n).fill(element)));
  const span = field(
    2,
    Buffer.concat([
      ids(),
      kv('gen_ai.operation.name', 'chat'),
      field(9, Buffer.concat([str(1, 'gen_ai.request.model'), field(2, array)])),
    ]),
  );
  return tracesBody([{ attributes: { 'service.name': 'bomb' }, spans: [span] }]);
}

/** One span with `n` distinct bursar.scope.* attributes (each a kept label). */
export function scopeKeysBody(n: number): Buffer {
  const attrs = Array.from({ length: n }, (_, i) => kv(`bursar.scope.k${i}`, 'v'));
  const span = field(2, Buffer.concat([ids(), kv('gen_ai.operation.name', 'chat'), ...attrs]));
  return tracesBody([{ attributes: { 'service.name': 'keys' }, spans: [span] }]);
}
