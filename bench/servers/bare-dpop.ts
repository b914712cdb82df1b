import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * The bare baselines' (bare-api.ts, bare-transfer.ts) one check of a DPoP-bound call: the access-token
 * JWT and the DPoP proof verified with jose, with the same keys, options and checks as
 * src/resource-api/access-token.ts and dpop.ts (typ, alg, public jwk, htm, htu, iat, ath, jkt), and the
 * proof's jti claimed through `claimJti` (an INSERT … ON CONFLICT in PostgreSQL, as renkei does).
 */
export class Refused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export type AccessTokenPayload = JWTPayload & { grant_id: string; client_id: string; scope: string };

const DPOP_ALGS = ['ES256', 'PS256', 'EdDSA'];
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey, origin: string): Promise<AccessTokenPayload> {
  const { payload: at } = await jwtVerify(token, keys, {
    issuer: origin, audience: `${origin}/api/v1`, typ: 'at+jwt', algorithms: ['ES256', 'PS256'], clockTolerance: 5,
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'scope'],
  });
  if (typeof at.grant_id !== 'string' || typeof at.client_id !== 'string' || typeof at.scope !== 'string') throw new Refused(401, 'claims');
  return at as AccessTokenPayload;
}

/** `Authorization: DPoP` with its proof; the verified token's claims, once the proof's jti is claimed. */
export async function verifyDpopCall(
  request: FastifyRequest, opts: { keys: JWTVerifyGetKey; origin: string; claimJti(key: string): Promise<boolean> },
): Promise<AccessTokenPayload> {
  const m = /^DPoP ([A-Za-z0-9\-._~+/]+=*)$/.exec(request.headers.authorization ?? '');
  if (!m) throw new Refused(401, 'no token');
  const token = m[1]!;
  const at = await verifyAccessToken(token, opts.keys, opts.origin);
  const jkt = (at.cnf as { jkt?: string } | undefined)?.jkt;
  if (!jkt) throw new Refused(401, 'claims');
  const proof = request.headers.dpop;
  if (typeof proof !== 'string' || proof.includes(',')) throw new Refused(401, 'proof');
  const header = decodeProtectedHeader(proof);
  const jwk = header.jwk as JWK | undefined;
  if (header.typ !== 'dpop+jwt' || !header.alg || !DPOP_ALGS.includes(header.alg) || !jwk || PRIVATE.some((k) => k in jwk)) throw new Refused(401, 'proof header');
  const { payload: p } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS });
  const now = Math.floor(Date.now() / 1000);
  const htu = new URL(`${opts.origin}${request.url.split('?')[0]}`);
  const given = typeof p.htu === 'string' && URL.canParse(p.htu) ? new URL(p.htu) : undefined;
  if (typeof p.jti !== 'string' || p.htm !== request.method || !given || `${given.protocol}//${given.host}${given.pathname}` !== `${htu.protocol}//${htu.host}${htu.pathname}`
    || typeof p.iat !== 'number' || p.iat < now - 60 || p.iat > now + 5 || p.ath !== createHash('sha256').update(token).digest('base64url')) {
    throw new Refused(401, 'proof claims');
  }
  if (await calculateJwkThumbprint(jwk) !== jkt) throw new Refused(401, 'jkt');
  if (!(await opts.claimJti(createHash('sha256').update(`${jkt}:${p.jti}`).digest('hex')))) throw new Refused(401, 'replay');
  return at;
}
