import { createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { checkGrant } from '../business-id/grant-check.repository.ts';

/** The claims of an access token this server issued to the resource API (DESIGN §7, RFC 9068). */
export interface IssuedAccessToken extends JWTPayload {
  jti: string;
  sub: string;
  exp: number;
  iat: number;
  client_id: string;
  scope: string;
  grant_id: string;
  cnf?: { jkt?: string; 'x5t#S256'?: string };
}

export interface JwtAccessTokenOptions {
  db: Kysely<Database>;
  issuer: string;
  /** The resource API's identifier: every access token's audience. */
  audience: string;
  /** The provider's signing keys (private JWKs); only their public parts are used. */
  signingKeys: JWK[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Verifies a JWT access token as one this server issued: the provider's keys, `typ: at+jwt`, issuer
 * and audience. Expiry is the caller's business (introspection answers `active: false`, revocation
 * has nothing to do), so it is not checked here.
 * @returns its claims, or undefined for anything else (another issuer's JWT, a forged or broken one)
 */
export function accessTokenReader(opts: JwtAccessTokenOptions) {
  const keys = createLocalJWKSet({
    keys: opts.signingKeys.map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => !PRIVATE_MEMBERS.includes(name))) as JWK),
  });
  return async function read(token: string): Promise<IssuedAccessToken | undefined> {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: opts.issuer, audience: opts.audience, typ: 'at+jwt', algorithms: ['ES256', 'PS256'],
        // Far enough in the past never to fail on expiry: callers decide what an expired token means.
        currentDate: new Date(0),
        requiredClaims: ['jti', 'sub', 'exp', 'iat', 'client_id', 'scope'],
      });
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string' || typeof payload.grant_id !== 'string') return undefined;
      return payload as IssuedAccessToken;
    } catch {
      return undefined;
    }
  };
}

/**
 * Whether the resource API would accept the token now, as far as the server's records go: not
 * expired, and the same grant check the resource API makes (grant and user active, token not revoked).
 */
export async function accessTokenIsActive(db: Kysely<Database>, token: IssuedAccessToken): Promise<boolean> {
  if (token.exp <= Math.floor(Date.now() / 1000)) return false;
  return (await checkGrant(db, token.grant_id, token.client_id, token.jti)).ok;
}
