import { X509Certificate } from 'node:crypto';
import { Eta } from 'eta';
import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import { hasPinToRegister } from '../business-id/inquiry-pins.service.ts';
import { loadBankCa, type BankCa } from '../certificates/bank-ca.ts';
import { loadPartnerCas } from '../certificates/client-trust.ts';
import type { Config } from '../config/config.schema.ts';
import type { DatabaseHandle } from '../db/create-db.ts';
import type { Database } from '../db/database.ts';
import type { ClientWithPartner } from '../partners/clients.repository.ts';
import { defineTexts, pickLang, translate } from '../shared/i18n.ts';
import { SITE } from '../shared/site.texts.ts';
import { VIEWS_DIR } from '../shared/views.ts';
import { ClientCache } from './client-cache.ts';
import { clientLookup, registerClientLookup } from './client-lookup.ts';
import { clientSkipsBusinessSelection, createProvider } from './provider.ts';
import { subscribeProviderEvents } from './provider-events.ts';
import { loadSigningKeys } from './signing-keys.ts';

/** Renders pages oidc-provider shows itself (outside Fastify): the same layout as every other page. */
const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true });

/** What the holder reads when the provider cannot send the error back to the client. */
const PROVIDER_ERRORS = defineTexts({
  invalid_request: { ja: 'リクエストが正しくありません。連携先のサービスからもう一度お手続きください。', en: 'The request is invalid. Please start again from the connecting service.' },
  invalid_client: { ja: '連携先のサービスが確認できません。', en: 'The connecting service is not recognised.' },
  invalid_redirect_uri: { ja: '連携先の戻り先が登録と一致しません。', en: 'The return address does not match the registration.' },
  session_not_found: { ja: 'お手続きの有効期限が切れました。連携先のサービスからもう一度お手続きください。', en: 'This request expired. Please start again from the connecting service.' },
});

/**
 * The authorization server of DESIGN §7: signing keys from the database (created on first start,
 * encrypted with KEY_ENCRYPTION_KEY), oidc-provider configured for FAPI 2.0, and its events feeding
 * the bank's grant records and logs. Built once per process and mounted on both listeners.
 */
export async function createAuthorizationServer(deps: {
  config: Readonly<Config>;
  db: Kysely<Database>;
  logger: Logger;
  secrets: { cookieKeys: string[]; keyEncryptionKey: Buffer };
  /** LISTEN on the database, to drop cached clients when any process changes them. */
  listen?: DatabaseHandle['listen'];
  /** The bank CA as server.ts loaded it; loaded here when absent. */
  bankCa?: BankCa;
}): Promise<Provider> {
  const { config, db } = deps;
  const signingKeys = await loadSigningKeys(db, deps.secrets.keyEncryptionKey);
  // The issuers a tls_client_auth certificate may have: the same list the mutual-TLS listener trusts.
  const bankCa = deps.bankCa ?? await loadBankCa(db, { keyEncryptionKey: deps.secrets.keyEncryptionKey, files: config.ca });
  const clientCas = [
    new X509Certificate(Buffer.from(bankCa.issuing.rawData)),
    ...(config.partnerCaFile ? (await loadPartnerCas(config.partnerCaFile)).map((pem) => new X509Certificate(pem)) : []),
  ];
  // Without notifications a cache could serve a disabled client: then every lookup reads the table.
  const clientCache = deps.listen ? new ClientCache<ClientWithPartner>({ ttlMs: 60_000 }) : undefined;
  if (clientCache && deps.listen) await deps.listen('renkei_client_changed', (id) => clientCache.invalidate(id));
  const findClient = clientLookup(db, clientCache);
  const provider = createProvider({
    config, db, signingKeys, clientCas, findClient, cookieKeys: deps.secrets.cookieKeys, keyEncryptionKey: deps.secrets.keyEncryptionKey,
    hooks: {
      skipsBusinessSelection: (clientId) => clientSkipsBusinessSelection(findClient, clientId),
      needsPinRegistration: (userId) => hasPinToRegister(db, userId),
      renderError: async (ctx, out) => {
        const lang = pickLang(ctx.headers, ctx.query?.ui_locales as string | undefined);
        const known: Record<string, string> = translate(PROVIDER_ERRORS, lang);
        const html = await eta.renderAsync('error', {
          site: SITE, lang, status: ctx.status, errorCode: out.error,
          errorMessage: Object.hasOwn(known, out.error) ? known[out.error] : out.error_description ?? out.error,
          requestId: ctx.get('x-request-id') || '-',
        });
        ctx.type = 'html';
        ctx.body = html;
      },
    },
  });
  subscribeProviderEvents(provider, db, deps.logger);
  registerClientLookup(provider, findClient);
  return provider;
}
