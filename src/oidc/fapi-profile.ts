import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { BUSINESS_SCOPES_METADATA } from '../partners/clients.repository.ts';
import { BUSINESS_SCOPES, OIDC_SCOPES } from '../shared/scopes.ts';

/**
 * renkei's protocol profile (DESIGN §7): what oidc-provider is told about algorithms, the FAPI 2.0
 * Security Profile, tokens and their lifetimes. `provider.ts` adds what needs the bank (storage,
 * clients, mutual TLS, registration, the journey); the benchmark baseline (bench/servers/bare-oidc.ts)
 * runs a bare oidc-provider on this same profile, so the two cannot drift apart.
 */

/** Provider routes, all under /oauth2/ (DESIGN §7). */
export const OIDC_ROUTES = {
  authorization: '/oauth2/authorize',
  pushed_authorization_request: '/oauth2/par',
  token: '/oauth2/token',
  jwks: '/oauth2/jwks',
  userinfo: '/oauth2/userinfo',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  registration: '/oauth2/register',
  end_session: '/oauth2/logout',
  code_verification: '/oauth2/device',
  device_authorization: '/oauth2/device/auth',
  backchannel_authentication: '/oauth2/backchannel',
  challenge: '/oauth2/challenge',
} as const;

/** Lifetimes in seconds (DESIGN §6–§7). The interaction's is the journey's "有効期限". */
export const TTL = { accessToken: 600, authorizationCode: 60, idToken: 600, interaction: 600, session: 600, par: 60 } as const;

/** Seconds of clock skew accepted on every JWT and DPoP proof. */
const CLOCK_TOLERANCE = 15;

/** The longest consent period a grant may have before the holder's own period sets it. */
const GRANT_TTL = 90 * 86_400;

type Features = NonNullable<Configuration['features']>;

export interface ProfileOptions {
  /** The resource API's identifier: the only resource, and every access token's audience. */
  audience: string;
  /** Signs DPoP nonces; shared by every instance that must accept the others' nonces. */
  dpopNonceSecret: Buffer;
}

/**
 * The profile as oidc-provider configuration. Client authentication here is `private_key_jwt`;
 * `provider.ts` adds `tls_client_auth` with the mutual-TLS feature it belongs to.
 */
export function fapiProfile({ audience, dpopNonceSecret }: ProfileOptions) {
  const features = {
    devInteractions: { enabled: false },
    fapi: { enabled: true, profile: '2.0' },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
    dPoP: { enabled: true, nonceSecret: dpopNonceSecret, requireNonce: () => false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      // The API is the default resource, except when a token request asks only for OIDC scopes
      // (e.g. a refresh with scope=openid): that yields an access token for userinfo (DESIGN §7).
      useGrantedResource: (ctx) => {
        const scope = ctx.oidc.params?.scope;
        return !(typeof scope === 'string' && scope.split(' ').every((s) => OIDC_SCOPES.includes(s)));
      },
      getResourceServerInfo: (_ctx, resourceIndicator, client) => {
        if (resourceIndicator !== audience) throw new errors.InvalidTarget(`the only resource is ${audience}`);
        // Only the 利用業務 the bank allows this client (DESIGN §3 partner onboarding).
        const allowed = String((client as unknown as Record<string, unknown>)[BUSINESS_SCOPES_METADATA] ?? '').split(' ');
        return {
          scope: BUSINESS_SCOPES.filter((s) => allowed.includes(s)).join(' '),
          audience,
          accessTokenTTL: TTL.accessToken,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
    introspection: {
      enabled: true,
      // A client may introspect only its own tokens (DESIGN §7).
      allowedPolicy: (_ctx, client, token) => isOwnToken(client, token),
    },
    revocation: {
      enabled: true,
      // RFC 7009 §2.1: a client may revoke only its own tokens.
      allowedPolicy: (_ctx, client, token) => {
        if (!isOwnToken(client, token)) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        return true;
      },
    },
    userinfo: { enabled: true },
    clientCredentials: { enabled: false },
    deviceFlow: { enabled: false },
  } satisfies Features;

  return {
    clockTolerance: CLOCK_TOLERANCE,
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['PS256', 'ES256', 'EdDSA'],
      idTokenSigningAlgValues: ['ES256', 'PS256'],
      requestObjectSigningAlgValues: ['PS256', 'ES256', 'EdDSA'],
      authorizationSigningAlgValues: ['ES256', 'PS256'],
      userinfoSigningAlgValues: ['ES256', 'PS256'],
      introspectionSigningAlgValues: ['ES256', 'PS256'],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
    },
    clientDefaults: {
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    acceptQueryParamAccessTokens: false,
    features,
    ttl: {
      AccessToken: TTL.accessToken,
      AuthorizationCode: TTL.authorizationCode,
      IdToken: TTL.idToken,
      Interaction: TTL.interaction,
      Session: TTL.session,
      PushedAuthorizationRequest: TTL.par,
      // A grant lives exactly the consent period the holder agreed to (set per grant at consent).
      Grant: GRANT_TTL,
      // Refresh tokens expire with their grant, never later (DESIGN §7).
      RefreshToken: (ctx) => {
        const grant = ctx.oidc.entities.Grant as { exp?: number } | undefined;
        const now = Math.floor(Date.now() / 1000);
        return grant?.exp && grant.exp > now ? grant.exp - now : 1;
      },
    },
    // FAPI 2.0 §5.3.2.1: refresh tokens of confidential clients are not rotated.
    rotateRefreshToken: false,
    // `offline_access` is granted by the holder on the permission screen, which is always shown;
    // oidc-provider would otherwise require the client to also send prompt=consent.
    issueRefreshToken: (ctx, client, code) => client.grantTypeAllowed('refresh_token') && grantsOfflineAccess(ctx, code),
    // Refresh tokens live as long as the grant, not the login session (DESIGN §7). The code
    // lost `offline_access` at PAR (see issueRefreshToken), so the default would bind it to the session.
    expiresWithSession: (ctx, code) => !grantsOfflineAccess(ctx, code),
    extraTokenClaims: (_ctx, token) => (token.kind === 'AccessToken' && token.grantId ? { grant_id: token.grantId } : undefined),
    // The subject is the user's id and the only claim: names and accounts stay with the bank.
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  } satisfies Configuration;
}

/**
 * Whose tokens a client may introspect and revoke: its own (DESIGN §7, RFC 7009 §2.1). The provider's
 * policies and the completion of both endpoints for JWT access tokens (jwt-access-tokens.ts) share it.
 */
export function isOwnToken(client: { clientId: string }, token: { clientId?: string | undefined }): boolean {
  return token.clientId === client.clientId;
}

function grantsOfflineAccess(ctx: KoaContextWithOIDC, code: { scopes: Set<string> }): boolean {
  const grant = ctx.oidc.entities.Grant as { getOIDCScope(): string } | undefined;
  return code.scopes.has('offline_access') || grant?.getOIDCScope().split(' ').includes('offline_access') === true;
}
