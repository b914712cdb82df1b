import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { preparedQuery } from '../db/prepared-query.ts';
import { DPOP_ALGS, invalidDpopProof, useDpopNonce } from './api-errors.ts';

/** How old a proof may be (RFC 9449 §11.1 leaves it to the server), and how far in the future. */
const MAX_AGE_S = 60;
const MAX_SKEW_S = 5;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Server-provided nonces (RFC 9449 §9): derived from a secret and a 5-minute window, so every
 * instance sharing the secret issues and accepts the same ones without storing anything. The current
 * and the previous window are accepted.
 */
export class DpopNonces {
  private readonly key: Buffer;
  private static readonly WINDOW_S = 300;

  constructor(key: Buffer) {
    this.key = key;
  }

  private forWindow(w: number): string {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(w));
    return Buffer.concat([b, createHmac('sha256', this.key).update(b).digest().subarray(0, 16)]).toString('base64url');
  }

  current(nowS = Math.floor(Date.now() / 1000)): string {
    return this.forWindow(Math.floor(nowS / DpopNonces.WINDOW_S));
  }

  isValid(nonce: string, nowS = Math.floor(Date.now() / 1000)): boolean {
    const w = Math.floor(nowS / DpopNonces.WINDOW_S);
    const given = Buffer.from(nonce);
    return [w, w - 1].some((x) => {
      const expected = Buffer.from(this.forWindow(x));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }
}

/** Normalises a URL for the htu comparison: scheme and host lower-case, default port dropped, no query or fragment. */
function normaliseHtu(url: string): string | undefined {
  const u = URL.parse(url);
  return u ? `${u.protocol}//${u.host}${u.pathname}` : undefined;
}

/** jose's options for every proof, built once: this runs on every DPoP call. */
const PROOF_VERIFY_OPTIONS = Object.freeze({ typ: 'dpop+jwt', algorithms: [...DPOP_ALGS] });

/**
 * The replay check, durable and shared by every process: a jti recorded for as long as its proof could
 * pass the iat check, or nothing returned when it already was. Prepared: it runs on every DPoP call.
 */
const recordProofJti = preparedQuery('dpop-proof-jti', ['key'], (db, param) => db
  .insertInto('dpop_proof_jtis')
  .values({ key: param('key'), expires_at: sql<Date>`now() + make_interval(secs => ${MAX_AGE_S + MAX_SKEW_S + 5})` })
  .onConflict((oc) => oc.column('key').doNothing())
  .returning('key'));

/**
 * Checks a DPoP proof for a resource request (RFC 9449 §4.3 and §7.1): one well-formed `dpop+jwt`,
 * an allowed asymmetric algorithm, a public key in the header that signed it and whose thumbprint is
 * the token's `cnf.jkt`, the request's method and URL, a fresh `iat`, the access token's hash in
 * `ath`, a valid nonce when one is given (or required), and a `jti` never seen before by any renkei
 * process (recorded in PostgreSQL). Every failure is `invalid_dpop_proof` (DESIGN §8).
 */
export async function verifyDpopProof(
  db: Kysely<Database>,
  proof: string | string[] | undefined,
  req: { method: string; htu: string; accessToken: string; expectedJkt: string },
  nonces: DpopNonces,
  opts: { requireNonce: boolean },
): Promise<void> {
  if (proof === undefined) throw invalidDpopProof('the DPoP header is missing');
  if (Array.isArray(proof) || proof.includes(',')) throw invalidDpopProof('exactly one DPoP proof is allowed');
  let header;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidDpopProof('the DPoP proof is malformed');
  }
  if (header.typ !== 'dpop+jwt') throw invalidDpopProof('the DPoP proof typ must be dpop+jwt');
  if (!header.alg || !(DPOP_ALGS as readonly string[]).includes(header.alg)) throw invalidDpopProof('the DPoP proof algorithm is not accepted');
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalidDpopProof('the DPoP proof must carry a public key');
  let payload;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, PROOF_VERIFY_OPTIONS));
  } catch {
    throw invalidDpopProof('the DPoP proof signature is invalid');
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw invalidDpopProof('the DPoP proof needs a jti');
  if (payload.htm !== req.method) throw invalidDpopProof('the DPoP proof htm does not match the request method');
  if (typeof payload.htu !== 'string' || normaliseHtu(payload.htu) !== normaliseHtu(req.htu)) throw invalidDpopProof('the DPoP proof htu does not match the request URL');
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat < now - MAX_AGE_S || payload.iat > now + MAX_SKEW_S) throw invalidDpopProof('the DPoP proof is stale or from the future');
  const ath = createHash('sha256').update(req.accessToken).digest('base64url');
  if (payload.ath !== ath) throw invalidDpopProof('the DPoP proof ath does not match the access token');
  const jkt = await calculateJwkThumbprint(jwk);
  if (jkt !== req.expectedJkt) throw invalidDpopProof('the DPoP proof key is not the key the token is bound to');
  // Nonces are checked only when this server requires them: the authorization server shares the
  // origin and issues its own, which clients then send here too (RFC 9449 §8 and §9).
  if (opts.requireNonce && (typeof payload.nonce !== 'string' || !nonces.isValid(payload.nonce))) {
    throw useDpopNonce(nonces.current());
  }
  const key = createHash('sha256').update(`${jkt}:${payload.jti}`).digest('hex');
  const [fresh] = await recordProofJti(db, { key });
  if (!fresh) throw invalidDpopProof('the DPoP proof was already used');
}
