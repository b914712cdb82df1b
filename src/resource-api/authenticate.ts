import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { certificateThumbprint, presentedCertificate } from '../certificates/from-request.ts';
import type { Config } from '../config/config.schema.ts';
import type { CustomerKind, Database } from '../db/database.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from './access-token.ts';
import { checkGrantOfCall, type GrantContext } from '../business-id/grant-check.repository.ts';
import { invalidToken, type Scheme } from './api-errors.ts';
import { verifyDpopProof, type DpopNonces } from './dpop.ts';

export interface ApiAuth {
  claims: AccessTokenClaims;
  grant: GrantContext;
  customerKind: CustomerKind;
  scheme: Scheme;
  scopes: Set<string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the resource API's authentication hook before validation. */
    apiAuth: ApiAuth;
  }
}

export interface AuthenticatorDeps {
  db: Kysely<Database>;
  config: Readonly<Config>;
  verifier: AccessTokenVerifier;
  nonces: DpopNonces;
  /** The public origin of the listener this API instance serves (for the DPoP htu). */
  origin: string;
  /** On the mutual-TLS origin, GMO's `x-access-token` header stands for `Authorization: Bearer`. */
  acceptAccessTokenHeader: boolean;
  requireDpopNonce: boolean;
}

/** RFC 6750 §2.1 b64token. */
const TOKEN = '[A-Za-z0-9\\-._~+/]+=*';
const AUTHORIZATION = new RegExp(`^(DPoP|Bearer) (${TOKEN})$`, 'i');
const ACCESS_TOKEN_HEADER = new RegExp(`^${TOKEN}$`);

/**
 * The scheme and token of a request: `Authorization`, or on the mutual-TLS origin GMO's
 * `x-access-token` (read as Bearer, so the certificate binding applies). One way only (RFC 6750 §2).
 */
function presentedToken(request: FastifyRequest, acceptAccessTokenHeader: boolean): { scheme: Scheme; token: string } {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && 'access_token' in query) throw invalidToken('both', 'access tokens in the query string are not accepted');
  const header = request.headers.authorization;
  const gmoHeader = request.headers['x-access-token'];
  if (gmoHeader !== undefined) {
    if (!acceptAccessTokenHeader) throw invalidToken('both', 'x-access-token is accepted only on the mutual-TLS origin, for certificate-bound tokens');
    if (header !== undefined) throw invalidToken('both', 'send the access token in one header only');
    if (typeof gmoHeader !== 'string' || !ACCESS_TOKEN_HEADER.test(gmoHeader)) throw invalidToken('Bearer', 'the x-access-token header is malformed');
    return { scheme: 'Bearer', token: gmoHeader };
  }
  if (!header) throw invalidToken('both', 'no access token', { noCredentials: true });
  const m = AUTHORIZATION.exec(header);
  if (!m) throw invalidToken('both', 'the Authorization header is malformed');
  return { scheme: m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2]! };
}

/**
 * Authenticates a resource request (DESIGN §8): `Authorization: DPoP` with a proof (RFC 9449), or
 * `Bearer` (or `x-access-token`) over the mutual-TLS origin with the certificate the token is bound to
 * (RFC 8705). Tokens in the query string and unbound tokens are refused; the bank grant behind the
 * token must still be active and its user too. Every refusal is a 401 with the matching
 * WWW-Authenticate challenge.
 */
export function createAuthenticator(deps: AuthenticatorDeps) {
  return async function authenticate(request: FastifyRequest): Promise<ApiAuth> {
    const { scheme, token } = presentedToken(request, deps.acceptAccessTokenHeader);

    const verified = await deps.verifier.verify(token);
    if (!verified.ok) throw invalidToken(scheme, verified.reason);
    const { claims } = verified;
    const jkt = claims.cnf?.jkt;
    const x5t = claims.cnf?.['x5t#S256'];
    if (!jkt && !x5t) throw invalidToken(scheme, 'unbound access tokens are not accepted');

    if (scheme === 'DPoP') {
      if (!jkt) throw invalidToken('Bearer', 'this token is bound to a certificate: present it with Bearer over mutual TLS');
      const htu = `${deps.origin}${request.url.split('?')[0]}`;
      await verifyDpopProof(deps.db, request.headers.dpop, { method: request.method, htu, accessToken: token, expectedJkt: jkt }, deps.nonces, { requireNonce: deps.requireDpopNonce });
    } else {
      if (jkt) throw invalidToken('DPoP', 'this token is DPoP-bound: use the DPoP scheme with a proof');
      const cert = presentedCertificate({ socket: request.raw.socket, headers: request.headers }, { clientCertHeader: deps.config.clientCertHeader, trustedProxies: deps.config.trustedProxies });
      if (!cert || certificateThumbprint(cert) !== x5t) {
        throw invalidToken('Bearer', 'the certificate this token is bound to was not presented');
      }
    }

    const grant = await checkGrantOfCall(deps.db, claims.grant_id, claims.client_id, claims.jti);
    if (!grant.ok) throw invalidToken(scheme, grant.reason);
    return { claims, grant: grant.grant, customerKind: grant.customerKind, scheme, scopes: new Set(claims.scope.split(' ')) };
  };
}
