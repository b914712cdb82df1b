import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id parameters for human-chosen secrets (login and transaction passwords, 照会用暗証番号).
 * OWASP's minimum (m=19 MiB, t=2, p=1): about 8 ms per hash on this machine (reference/perf-limits.md),
 * so logins must also be rate-limited.
 */
const ARGON2 = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret.normalize('NFKC'), ARGON2);
}

/** Constant-time by construction; a malformed stored hash counts as a mismatch, never a crash. */
export async function verifySecret(storedHash: string, candidate: string): Promise<boolean> {
  try {
    return await verify(storedHash, candidate.normalize('NFKC'));
  } catch {
    return false;
  }
}

/** n random decimal digits (メールトークン, 認証番号, login IDs), uniformly distributed. */
export function randomDigits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

/**
 * High-entropy machine secrets (access-token-like values: initial access tokens, session ids) need no
 * KDF: SHA-256 is enough, costs about 1 µs, and lets the database find the row by its hash.
 */
export function tokenHash(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * HMAC-SHA256 of a short code (メールトークン, 認証番号) under the code key, bound to the row it belongs to:
 * a code copied to another row never matches.
 */
export function codeHash(key: Buffer, rowId: string, code: string): string {
  return createHmac('sha256', key).update(`${rowId}:${code}`).digest('hex');
}

/** Compares two code hashes in constant time. */
export function codesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
