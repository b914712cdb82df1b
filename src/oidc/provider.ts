import { hkdfSync, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { errors, Provider, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { presentedCertificate } from '../certificates/from-request.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { BUSINESS_SCOPES, BUSINESS_SCOPES_METADATA, findClient, KNOWN_SCOPES, OIDC_SCOPES } from '../partners/clients.repository.ts';
import { createAdapterFactory } from './adapter.ts';
import type { ClientCache } from './client-cache.ts';
import { journeyPolicy, type PolicyHooks } from './oidc-policy.ts';
import { noteOfflineAccessRequest } from './offline-access.ts';
import { settlePendingWrites } from './provider-events.ts';

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

/** Lifetimes in seconds (DESIGN §6–§7). */
export const TTL = { accessToken: 600, authorizationCode: 60, idToken: 600, interaction: 600, session: 600, par: 60 } as const;

export interface ProviderDeps {
  config: Readonly<Config>;
  db: Kysely<Database>;
  cookieKeys: string[];
  keyEncryptionKey: Buffer;
  signingKeys: JWK[];
  /** The static token of the demo partner (INITIAL_ACCESS_TOKEN or the demo's generated one). */
  initialAccessToken: string | undefined;
  clientCache?: ClientCache<AdapterPayload> | undefined;
  hooks: PolicyHooks & {
    /** Renders an error page the provider cannot send to the client (bad client_id, expired interaction). */
    renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }, error: Error): Promise<void>;
    /** The partner of INITIAL_ACCESS_TOKEN, when it is configured. */
    staticTokenPartner(): Promise<string | undefined>;
  };
}

/**
 * The authorization server: oidc-provider 9 with the FAPI 2.0 Security Profile as DESIGN §7 fixes it.
 * Everything it stores goes through the Kysely adapter; clients come from `oauth_clients`.
 */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, db } = deps;
  const audience = config.apiIdentifier;
  const mtlsAliases = Object.fromEntries(
    (['token', 'pushed_authorization_request', 'revocation', 'introspection', 'userinfo'] as const).map((r) => [
      r === 'pushed_authorization_request' ? 'pushed_authorization_request_endpoint' : `${r}_endpoint`,
      `${config.mtlsPublicUrl}${OIDC_ROUTES[r]}`,
    ]),
  );

  const certOpts = { clientCertHeader: config.clientCertHeader, trustedProxies: config.trustedProxies };
  const configuration: Configuration = {
    adapter: createAdapterFactory({
      db,
      clockTolerance: 15,
      clientCache: deps.clientCache,
      staticInitialAccessToken: deps.initialAccessToken
        ? { token: deps.initialAccessToken, partnerId: deps.hooks.staticTokenPartner }
        : undefined,
    }),
    jwks: { keys: deps.signingKeys as never },
    cookies: {
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', secure: true },
      short: { httpOnly: true, sameSite: 'lax', secure: true },
    },
    routes: OIDC_ROUTES,
    clockTolerance: 15,
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt', 'tls_client_auth'],
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
    extraClientMetadata: {
      properties: [BUSINESS_SCOPES_METADATA],
      validator: (_ctx, key, value) => {
        if (key === BUSINESS_SCOPES_METADATA && value !== undefined
          && (typeof value !== 'string' || value.split(' ').some((s) => s && !(BUSINESS_SCOPES as readonly string[]).includes(s)))) {
          throw new errors.InvalidClientMetadata(`${BUSINESS_SCOPES_METADATA} must name resource scopes`);
        }
      },
    },
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    acceptQueryParamAccessTokens: false,
    features: {
      devInteractions: { enabled: false },
      fapi: { enabled: true, profile: '2.0' },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      dPoP: {
        enabled: true,
        // Derived, so every instance sharing KEY_ENCRYPTION_KEY issues and accepts the same nonces.
        nonceSecret: Buffer.from(hkdfSync('sha256', deps.keyEncryptionKey, Buffer.alloc(0), 'renkei dpop nonce', 32)),
        requireNonce: () => false,
      },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: false,
        getCertificate: (ctx) => presentedCertificate(ctx, certOpts),
        certificateAuthorized: (ctx) => (ctx.socket as TLSSocket).authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => subjectMatches(presentedCertificate(ctx, certOpts), property, expected),
      },
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
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may revoke only its own tokens.
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      userinfo: { enabled: true },
      registration: {
        enabled: true,
        initialAccessToken: true,
        issueRegistrationAccessToken: true,
        policies: { 'renkei-partner': registrationPolicy },
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      rpInitiatedLogout: { enabled: true },
      clientCredentials: { enabled: false },
      deviceFlow: { enabled: false },
      backchannelLogout: { enabled: false },
    },
    ttl: {
      AccessToken: TTL.accessToken,
      AuthorizationCode: TTL.authorizationCode,
      IdToken: TTL.idToken,
      Interaction: TTL.interaction,
      Session: TTL.session,
      PushedAuthorizationRequest: TTL.par,
      // A grant lives exactly the consent period the holder agreed to (set per grant at consent).
      Grant: 90 * 86_400,
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
    issueRefreshToken: (ctx, client, code) =>
      client.grantTypeAllowed('refresh_token')
      && (code.scopes.has('offline_access') || grantOf(ctx)?.getOIDCScope().split(' ').includes('offline_access') === true),
    // Refresh tokens live as long as the grant, not the 10-minute login session (DESIGN §7). The code
    // lost `offline_access` at PAR (see issueRefreshToken), so the default would bind it to the session.
    expiresWithSession: (ctx, code) =>
      !(code.scopes.has('offline_access') || grantOf(ctx)?.getOIDCScope().split(' ').includes('offline_access') === true),
    extraTokenClaims: (_ctx, token) => (token.kind === 'AccessToken' && token.grantId ? { grant_id: token.grantId } : undefined),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: {
      policy: journeyPolicy(deps.hooks),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    renderError: deps.hooks.renderError,
    discovery: {
      mtls_endpoint_aliases: mtlsAliases,
      ui_locales_supported: ['ja', 'en'],
      claims_locales_supported: ['ja'],
      service_documentation: `${config.publicUrl}/api/docs`,
    },
  };
  const provider = new Provider(config.publicUrl, configuration);
  provider.proxy = config.trustProxy;
  provider.use(async (ctx, next) => {
    await next();
    await settlePendingWrites(ctx);
    await noteOfflineAccessRequest(db, ctx as KoaContextWithOIDC);
    const route = ctx.oidc?.route;
    if ((route === 'registration' || route === 'client' || route === 'client_update') && ctx.body && typeof ctx.body === 'object') {
      restoreRegisteredScope(ctx.body as Record<string, unknown>);
    }
  });
  return provider;
}

/**
 * RFC 7591 policy for every registration through a partner's initial access token: https redirect
 * URIs only (DESIGN §7); metadata outside the profile is refused by the provider's own validation
 * (auth methods, algorithms, response and grant types).
 */
function registrationPolicy(_ctx: KoaContextWithOIDC, properties: Record<string, unknown>): void {
  const uris = properties.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0) throw new errors.InvalidRedirectUri('redirect_uris is required');
  for (const uri of uris) {
    if (typeof uri !== 'string' || !URL.canParse(uri) || new URL(uri).protocol !== 'https:') {
      throw new errors.InvalidRedirectUri('redirect_uris must be https URLs');
    }
  }
  if (properties.scope !== undefined && typeof properties.scope !== 'string') {
    throw new errors.InvalidClientMetadata('scope must be a space-separated string');
  }
  // Never client-set: the bank decides from `scope` below (and may narrow it later).
  delete properties[BUSINESS_SCOPES_METADATA];
  if (typeof properties.scope === 'string') {
    const asked = properties.scope.split(' ').filter(Boolean);
    const unknown = asked.filter((s) => !(KNOWN_SCOPES as readonly string[]).includes(s));
    if (unknown.length) throw new errors.InvalidClientMetadata(`unknown scope: ${unknown.join(' ')}`);
    properties.scope = asked.filter((s) => OIDC_SCOPES.includes(s)).join(' ') || undefined;
    properties[BUSINESS_SCOPES_METADATA] = asked.filter((s) => (BUSINESS_SCOPES as readonly string[]).includes(s)).join(' ');
  }
}

/**
 * Registration responses (RFC 7591 §3.2.1) show `scope` as registered: the 利用業務 the policy moved
 * aside for oidc-provider are put back, and the internal property is not shown.
 */
export function restoreRegisteredScope(body: Record<string, unknown>): void {
  const business = body[BUSINESS_SCOPES_METADATA];
  if (typeof business !== 'string') return;
  delete body[BUSINESS_SCOPES_METADATA];
  const all = [...String(body.scope ?? '').split(' '), ...business.split(' ')].filter(Boolean);
  if (all.length) body.scope = all.join(' ');
}

function grantOf(ctx: KoaContextWithOIDC): { getOIDCScope(): string } | undefined {
  return ctx.oidc.entities.Grant as { getOIDCScope(): string } | undefined;
}

function subjectMatches(cert: X509Certificate | undefined, property: string, expected: string): boolean {
  if (!cert) return false;
  if (property === 'tls_client_auth_subject_dn') return normalizeDn(cert.subject) === normalizeDn(expected);
  if (property === 'tls_client_auth_san_dns') return (cert.subjectAltName ?? '').split(', ').includes(`DNS:${expected}`);
  return false;
}

function normalizeDn(dn: string): string {
  return dn.split(/[\n,]/).map((p) => p.trim()).filter(Boolean).sort().join(',');
}

/** Whether a client's bank-side settings skip the 利用業務 screen. */
export async function clientSkipsBusinessSelection(db: Kysely<Database>, clientId: string): Promise<boolean> {
  const client = await findClient(db, clientId);
  return client ? !client.showBusinessSelection : true;
}
