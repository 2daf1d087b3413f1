import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures. Every delivery carries
 *   bursar-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 * signed afresh on each attempt, so a receiver can refuse replays older than its tolerance
 * and tampered bodies. Receivers dedupe retries by the `bursar-webhook-id` header.
 */
export const SIGNATURE_HEADER = 'bursar-signature';
export const ID_HEADER = 'bursar-webhook-id';
export const EVENT_HEADER = 'bursar-event';

function hmac(secret: string, t: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest();
}

/** The header value for `body` signed at `t` (unix seconds). */
export function signPayload(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${hmac(secret, t, body).toString('hex')}`;
}

/**
 * For receivers: true when `header` holds a v1 signature of exactly `body` (the raw bytes
 * as received, before any JSON parsing) made with `secret` within `toleranceSeconds` of now.
 * Compares in constant time; several v1 entries (secret rotation) are each tried.
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  toleranceSeconds = 300,
  nowMs = Date.now(),
): boolean {
  if (!header) return false;
  let t: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - t) > toleranceSeconds) return false;
  const expected = hmac(secret, t, body);
  let ok = false;
  for (const s of signatures) if (timingSafeEqual(s, expected)) ok = true;
  return ok;
}
