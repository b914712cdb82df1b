import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';

export interface AccessTokenClaims extends JWTPayload {
  jti: string;
  client_id: string;
  scope: string;
  grant_id: string;
  sub: string;
  cnf?: { jkt?: string; 'x5t#S256'?: string };
}

export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

/**
 * Verifies access tokens issued by the authorization server (RFC 9068): signature against its
 * current public keys, `typ: at+jwt`, issuer, audience, expiry and the claims renkei relies on. The
 * keys come from the `signing_keys` table (not from oidc-provider: the resource API stays
 * independent of it), cached, and re-read when a token names an unknown `kid` (a rotation by
 * another instance) — at most once every few seconds, so junk tokens cannot hammer the database.
 */
export class AccessTokenVerifier {
  private readonly db: Kysely<Database>;
  /** jose's options for every token, built once: this runs on every call. */
  private readonly options: JWTVerifyOptions;
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private loadedAt = 0;
  private static readonly RELOAD_AFTER_MS = 5_000;

  constructor(db: Kysely<Database>, opts: { issuer: string; audience: string }) {
    this.db = db;
    this.options = Object.freeze({
      issuer: opts.issuer,
      audience: opts.audience,
      typ: 'at+jwt',
      algorithms: ['ES256', 'PS256'],
      clockTolerance: 5,
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id', 'scope'],
    });
  }

  private async load(): Promise<void> {
    const rows = await this.db.selectFrom('signing_keys').select('public_jwk').execute();
    this.keys = createLocalJWKSet({ keys: rows.map((r) => r.public_jwk as JWK) });
    this.loadedAt = Date.now();
  }

  async verify(token: string): Promise<TokenCheck> {
    if (!this.keys) await this.load();
    try {
      return { ok: true, claims: await this.check(token) };
    } catch (err) {
      if (err instanceof joseErrors.JWKSNoMatchingKey && Date.now() - this.loadedAt > AccessTokenVerifier.RELOAD_AFTER_MS) {
        await this.load();
        try {
          return { ok: true, claims: await this.check(token) };
        } catch (again) {
          return { ok: false, reason: describe(again) };
        }
      }
      return { ok: false, reason: describe(err) };
    }
  }

  private async check(token: string): Promise<AccessTokenClaims> {
    const { payload } = await jwtVerify(token, this.keys!, this.options);
    if (typeof payload.grant_id !== 'string' || typeof payload.client_id !== 'string' || typeof payload.scope !== 'string') {
      throw new Error('the token lacks grant_id, client_id or scope');
    }
    return payload as AccessTokenClaims;
  }
}

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the access token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the access token's ${err.claim} claim is not accepted`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'the access token was not signed by this server';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  return 'the access token is malformed';
}
