import { createHash, randomUUID } from 'node:crypto';
import { compactDecrypt, decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters } from 'jose';
import type { Kysely } from 'kysely';
import type { Test } from 'tap';
import type { Database } from '../../src/db/database.ts';
import { ERROR_MESSAGES, type ErrorCode } from '../../src/shared/errors.ts';
import type { AuthServer } from './auth-server.ts';
import { TEST_SECRETS } from './build-app.ts';

/**
 * Hand-made requests to the resource API (DESIGN §8) for negative tests: DPoP proofs built with jose
 * (RFC 9449 §4.2), every field overridable, and the raw response with its body parsed.
 */

export interface KeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export const ath = (accessToken: string) => createHash('sha256').update(accessToken).digest('base64url');

export interface ProofOptions {
  htu: string;
  htm?: string;
  /** The access token whose hash goes in `ath`; `ath` overrides it. */
  accessToken?: string;
  ath?: string;
  jti?: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  typ?: string;
  /** The public JWK put in the header; default the key pair's own. */
  jwk?: JWK;
  /** Claims added to (or, with undefined, removed from) the payload. */
  claims?: Record<string, unknown>;
  /** Protected header members added (or, with undefined, removed). */
  header?: Record<string, unknown>;
}

/** A DPoP proof signed with the key pair (ES256 unless the key says otherwise). */
export async function dpopProof(keys: KeyPair, o: ProofOptions, alg = 'ES256'): Promise<string> {
  const jwk = o.jwk ?? (await publicJwk(keys.publicKey));
  const payload: Record<string, unknown> = {
    htm: o.htm ?? 'GET', htu: o.htu, jti: o.jti ?? randomUUID(), iat: o.iat ?? Math.floor(Date.now() / 1000),
    ...(o.ath !== undefined ? { ath: o.ath } : o.accessToken !== undefined ? { ath: ath(o.accessToken) } : {}),
    ...o.claims,
  };
  const header: Record<string, unknown> = { alg, typ: o.typ ?? 'dpop+jwt', jwk, ...o.header };
  for (const m of [payload, header]) for (const [k, v] of Object.entries(m)) if (v === undefined) delete m[k];
  return new SignJWT(payload).setProtectedHeader(header as JWTHeaderParameters).sign(keys.privateKey);
}

/** An unsigned JWT (`alg: none`) shaped like a proof. */
export function unsignedProof(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', ...header })}.${b64(payload)}.`;
}

export async function publicJwk(key: CryptoKey): Promise<JWK> {
  const { kty, crv, x, y, n, e } = await exportJWK(key);
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
}

export async function extractableKeyPair(alg: string): Promise<KeyPair> {
  return (await generateKeyPair(alg, { extractable: true })) as KeyPair;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/**
 * One GET with exactly the headers given (no automatic DPoP), through the server's trusting fetch or
 * another fetch (e.g. one presenting a client certificate).
 */
export async function rawGet(
  server: AuthServer,
  url: string,
  headers: Record<string, string> | [string, string][] = {},
  via: AuthServer['fetch'] = server.fetch,
): Promise<ApiResponse> {
  const res = await via(new URL(url, server.issuer), { headers });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the caller asserts on text
  }
  return { status: res.status, headers: res.headers as unknown as Headers, body, text };
}

/** A DPoP-authenticated GET on the main origin with a fresh, correct proof unless one is given. */
export async function dpopGet(
  server: AuthServer,
  session: { tokens: { access_token: string }; c: { dpopKeys: KeyPair } },
  path: string,
  opts: { proof?: string; headers?: Record<string, string>; origin?: string; via?: AuthServer['fetch'] } = {},
): Promise<ApiResponse> {
  const url = new URL(path, server.issuer);
  const token = session.tokens.access_token;
  const proof = opts.proof ?? (await dpopProof(session.c.dpopKeys, { htu: `${server.issuer}${url.pathname}`, accessToken: token }));
  return rawGet(server, new URL(path, opts.origin ?? server.issuer).toString(), { authorization: `DPoP ${token}`, dpop: proof, ...opts.headers }, opts.via);
}

type Assert = Pick<Test, 'equal' | 'match'>;

/**
 * Asserts DESIGN §8's error format: the status, the code, the message in the language asked for
 * (the code's generic one unless given), a request id, and no-store.
 */
export function assertApiError(
  t: Assert,
  res: ApiResponse,
  status: number,
  code: ErrorCode,
  opts: { lang?: 'ja' | 'en'; message?: string; label?: string } = {},
): void {
  const label = opts.label ? `${opts.label}: ` : '';
  t.equal(res.status, status, `${label}status ${status}`);
  t.equal(res.body.errorCode, code, `${label}errorCode ${code}`);
  t.equal(res.body.errorMessage, opts.message ?? ERROR_MESSAGES[code][opts.lang ?? 'ja'], `${label}message in ${opts.lang ?? 'ja'}`);
  t.match(res.headers.get('content-type'), /^application\/json/, `${label}JSON`);
}

/** Parses an RFC 7235 challenge list into scheme → params (enough for our own headers). */
export function challenges(header: string | null): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (!header) return out;
  let current: Record<string, string> | undefined;
  const re = /\s*(?:([A-Za-z]+)(?=\s+[A-Za-z_]+=|\s*,|\s*$)|([A-Za-z_]+)="([^"]*)")\s*,?/gy;
  for (let m = re.exec(header); m && m[0] !== ''; m = re.exec(header)) {
    if (m[1]) out[m[1]] = current = {};
    else if (current && m[2]) current[m[2]] = m[3]!;
  }
  return out;
}

/**
 * The authorization server's active ES256 signing key, decrypted with the tests' key-encryption key,
 * so a test can mint access tokens that differ from real ones in exactly one claim.
 */
async function serverSigningKey(db: Kysely<Database>): Promise<{ key: CryptoKey; kid: string }> {
  const row = await db.selectFrom('signing_keys').select(['kid', 'private_jwk_jwe'])
    .where('alg', '=', 'ES256').where('status', '=', 'active').executeTakeFirstOrThrow();
  const { plaintext } = await compactDecrypt(row.private_jwk_jwe, TEST_SECRETS.keyEncryptionKey);
  return { key: (await importJWK(JSON.parse(new TextDecoder().decode(plaintext)) as JWK, 'ES256')) as CryptoKey, kid: row.kid };
}

/** An access token like `template` (its claims decoded), with claims replaced or (undefined) removed. */
export async function mintAccessToken(
  db: Kysely<Database>,
  template: string,
  changes: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: { key: CryptoKey; kid: string } } = {},
): Promise<string> {
  const signer = changes.key ?? (await serverSigningKey(db));
  const claims: Record<string, unknown> = { ...decodeJwt(template), ...changes.claims };
  const header: Record<string, unknown> = { alg: 'ES256', typ: 'at+jwt', kid: signer.kid, ...changes.header };
  for (const m of [claims, header]) for (const [k, v] of Object.entries(m)) if (v === undefined) delete m[k];
  return new SignJWT(claims).setProtectedHeader(header as JWTHeaderParameters).sign(signer.key);
}
