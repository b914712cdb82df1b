import { hkdfSync, X509Certificate } from 'node:crypto';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { errors, Provider, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { parseDn, subjectIs } from '../certificates/distinguished-name.ts';
import { presentedCertificate, presentedCertificateTrusted } from '../certificates/from-request.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { BUSINESS_SCOPES_METADATA } from '../partners/clients.repository.ts';
import { unsafeTextAt } from '../shared/input-guard.ts';
import { BUSINESS_SCOPES, KNOWN_SCOPES, OIDC_SCOPES } from '../shared/scopes.ts';
import { findActiveAccount } from './active-account.ts';
import { createAdapterFactory } from './adapter.ts';
import { listEveryScope } from './discovery-scopes.ts';
import type { ClientLookup } from './client-lookup.ts';
import { fapiProfile, OIDC_ROUTES } from './fapi-profile.ts';
import { journeyPolicy, type PolicyHooks } from './oidc-policy.ts';
import { noteOfflineAccessRequest } from './offline-access.ts';
import { answerDatabaseOutagesWith503 } from './outage.ts';
import { answerUnknownPathsInTheErrorFormat } from './unknown-paths.ts';
import { settlePendingWrites } from './provider-events.ts';
import { refuseUnregisteredOidcScopes } from './registered-scopes.ts';
import { completeJwtTokenEndpoints } from './structured-token-endpoints.ts';

export interface ProviderDeps {
  config: Readonly<Config>;
  db: Kysely<Database>;
  cookieKeys: string[];
  keyEncryptionKey: Buffer;
  signingKeys: JWK[];
  /**
   * The CAs a `tls_client_auth` certificate may be issued by (the bank's issuing CA, PARTNER_CA_FILE):
   * what a certificate forwarded by a trusted proxy is checked against, as the TLS handshake checks it.
   */
  clientCas: X509Certificate[];
  /** Clients with their partners (cached per process by createAuthorizationServer); a plain read when absent. */
  findClient?: ClientLookup | undefined;
  hooks: PolicyHooks & {
    /** Renders an error page the provider cannot send to the client (bad client_id, expired interaction). */
    renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }, error: Error): Promise<void>;
  };
}

/**
 * The authorization server: oidc-provider 9 with the FAPI 2.0 Security Profile as DESIGN §7 fixes it.
 * Everything it stores goes through the Kysely adapter; clients come from `oauth_clients`.
 */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, db } = deps;
  const mtlsAliases = Object.fromEntries(
    (['token', 'pushed_authorization_request', 'revocation', 'introspection', 'userinfo'] as const).map((r) => [
      r === 'pushed_authorization_request' ? 'pushed_authorization_request_endpoint' : `${r}_endpoint`,
      `${config.mtlsPublicUrl}${OIDC_ROUTES[r]}`,
    ]),
  );

  const certOpts = { clientCertHeader: config.clientCertHeader, trustedProxies: config.trustedProxies };
  // Derived, so every instance sharing KEY_ENCRYPTION_KEY issues and accepts the same nonces.
  const dpopNonceSecret = Buffer.from(hkdfSync('sha256', deps.keyEncryptionKey, Buffer.alloc(0), 'renkei dpop nonce', 32));
  const profile = fapiProfile({ audience: config.apiIdentifier, dpopNonceSecret });
  const configuration: Configuration = {
    ...profile,
    adapter: createAdapterFactory({ db, clockTolerance: profile.clockTolerance, findClient: deps.findClient }),
    findAccount: findActiveAccount(db),
    jwks: { keys: deps.signingKeys as never },
    cookies: {
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', secure: true },
      short: { httpOnly: true, sameSite: 'lax', secure: true },
    },
    routes: OIDC_ROUTES,
    clientAuthMethods: [...profile.clientAuthMethods, 'tls_client_auth'],
    extraClientMetadata: {
      properties: [BUSINESS_SCOPES_METADATA],
      validator: (_ctx, key, value) => {
        if (key === BUSINESS_SCOPES_METADATA && value !== undefined
          && (typeof value !== 'string' || value.split(' ').some((s) => s && !(BUSINESS_SCOPES as readonly string[]).includes(s)))) {
          throw new errors.InvalidClientMetadata(`${BUSINESS_SCOPES_METADATA} must name resource scopes`);
        }
      },
    },
    features: {
      ...profile.features,
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: false,
        getCertificate: (ctx) => presentedCertificate(ctx, certOpts),
        certificateAuthorized: (ctx) => presentedCertificateTrusted(ctx, certOpts, deps.clientCas),
        certificateSubjectMatches: (ctx, property, expected) => subjectMatches(presentedCertificate(ctx, certOpts), property, expected),
      },
      registration: {
        enabled: true,
        initialAccessToken: true,
        issueRegistrationAccessToken: true,
        policies: { 'renkei-partner': registrationPolicy },
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: false },
    },
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
  answerDatabaseOutagesWith503(provider, deps.hooks.renderError);
  answerUnknownPathsInTheErrorFormat(provider);
  provider.use(listEveryScope);
  provider.use(refuseUnregisteredOidcScopes);
  provider.use(completeJwtTokenEndpoints({ db, issuer: config.publicUrl, audience: config.apiIdentifier, signingKeys: deps.signingKeys }));
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
 * RFC 7591 policy for every registration through a partner's initial access token: a client_name
 * and https redirect URIs (DESIGN §7, §15); `scope` may name API scopes only. Metadata outside the
 * profile is refused by the provider's own validation (auth methods, algorithms, response and grant types).
 */
function registrationPolicy(_ctx: KoaContextWithOIDC, properties: Record<string, unknown>): void {
  // No metadata value has a use for control characters, and the database cannot store a NUL.
  const controlAt = unsafeTextAt(properties, (s) => /[\u0000-\u001f\u007f]/.test(s) || !s.isWellFormed());
  if (controlAt !== undefined) {
    // error_description is ASCII (RFC 6749 §5.2): the offending property is named only when it is a plain one.
    const name = /^\/[a-z0-9_#]+(?:\/|$)/i.exec(controlAt)?.[0].replace(/\//g, '') ?? 'metadata';
    throw new errors.InvalidClientMetadata(`${name} must not contain control characters`);
  }
  // The journey names the client's service by it (DESIGN §15 "Who asks").
  if (typeof properties.client_name !== 'string' || !properties.client_name.trim()) {
    throw new errors.InvalidClientMetadata('client_name is required');
  }
  const uris = properties.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0) throw new errors.InvalidRedirectUri('redirect_uris is required');
  for (const uri of uris) {
    if (typeof uri !== 'string' || !URL.canParse(uri) || new URL(uri).protocol !== 'https:') {
      throw new errors.InvalidRedirectUri('redirect_uris must be https URLs');
    }
  }
  assertTlsClientAuthSubject(properties);
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
function restoreRegisteredScope(body: Record<string, unknown>): void {
  const business = body[BUSINESS_SCOPES_METADATA];
  if (typeof business !== 'string') return;
  delete body[BUSINESS_SCOPES_METADATA];
  const all = [...String(body.scope ?? '').split(' '), ...business.split(' ')].filter(Boolean);
  if (all.length) body.scope = all.join(' ');
}


/**
 * RFC 8705 §2.1.2: renkei's partners name their certificate by its subject DN only (DESIGN §14). The
 * SAN variants are refused at registration, rather than registered and then never matched; the DN
 * must parse as RFC 4514, so a typo is refused at once instead of failing every token request.
 */
function assertTlsClientAuthSubject(properties: Record<string, unknown>): void {
  for (const san of ['tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email']) {
    if (properties[san] !== undefined) throw new errors.InvalidClientMetadata(`${san} is not supported: register tls_client_auth_subject_dn`);
  }
  if (properties.token_endpoint_auth_method !== 'tls_client_auth') return;
  const dn = properties.tls_client_auth_subject_dn;
  if (typeof dn !== 'string') throw new errors.InvalidClientMetadata('tls_client_auth requires tls_client_auth_subject_dn');
  if (!parseDn(dn)) throw new errors.InvalidClientMetadata('tls_client_auth_subject_dn must be an RFC 4514 distinguished name');
}

function subjectMatches(cert: X509Certificate | undefined, property: string, expected: string): boolean {
  return cert !== undefined && property === 'tls_client_auth_subject_dn' && subjectIs(cert.raw, expected);
}

/** Whether a client's bank-side settings skip the 利用業務 screen. */
export async function clientSkipsBusinessSelection(findClient: ClientLookup, clientId: string): Promise<boolean> {
  const client = await findClient(clientId);
  return client ? !client.showBusinessSelection : true;
}
