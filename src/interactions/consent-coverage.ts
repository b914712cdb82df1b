import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import type { RequestContext } from '../audit/audit.repository.ts';
import { pinStatusOfVisibleAccounts } from '../business-id/inquiry-pins.service.ts';
import { findUserIdentity } from '../business-id/user-lookup.repository.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { offlineAccessWasRequested } from '../oidc/offline-access.ts';
import { recordConsent } from '../partners/consent.service.ts';
import { findClient } from '../partners/clients.repository.ts';
import { translate, type Lang } from '../shared/i18n.ts';
import { jstParts } from '../shared/jst.ts';
import { businessScopesIn } from '../shared/scopes.ts';
import { accountLabel, businessName, JOURNEY_TEXTS } from './journey.i18n.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const DAY = 86_400_000;

/**
 * What step 5 covers, computed on the server from the interaction and the database (never from the
 * form): the 利用業務 chosen in step 2 (or all those requested when it was skipped), the accounts the
 * user may see and registered a PIN for, and the period from now for the client's consent period.
 */
async function coverage(db: Kysely<Database>, details: Details, now = new Date()) {
  const clientId = String(details.params.client_id);
  const client = await findClient(db, clientId);
  if (!client) throw new Error(`client ${clientId} disappeared during the interaction`);
  const chosenInStep2 = (details.lastSubmission?.select_business as { scopes?: string[] } | undefined)?.scopes;
  const business = businessScopesIn(details.params.scope)
    .filter((s) => client.allowedScopes.includes(s))
    .filter((s) => !chosenInStep2 || chosenInStep2.includes(s));
  const accounts = (await pinStatusOfVisibleAccounts(db, details.session!.accountId)).filter((a) => a.registered);
  return { client, business, accounts, start: now, end: new Date(now.getTime() + client.consentPeriodDays * DAY) };
}

/** Japan time, as the bank shows every date (DESIGN §8). */
export function formatJst(date: Date, lang: Lang): string {
  return translate(JOURNEY_TEXTS, lang).dateTime(jstParts(date));
}

export async function consentView(db: Kysely<Database>, details: Details, lang: Lang) {
  const c = await coverage(db, details);
  const t = translate(JOURNEY_TEXTS, lang);
  return {
    serviceName: c.client.partner.serviceName,
    legalName: c.client.partner.legalName,
    websiteUrl: c.client.partner.websiteUrl,
    consentIntro: t.consentIntro(`${c.client.partner.serviceName}（${c.client.partner.legalName}）`),
    businesses: c.business.map((s) => businessName(t, s)),
    accounts: c.accounts.map((a) => accountLabel(t, a)),
    periodStart: formatJst(c.start, lang),
    periodEnd: formatJst(c.end, lang),
    consentDays: c.client.consentPeriodDays,
    canAllow: c.accounts.length > 0 && c.business.length > 0,
  };
}

/**
 * 許可: an oidc-provider Grant limited to what the holder allowed (every other requested scope is
 * rejected, or the consent prompt would loop), living exactly the consent period, then the bank's
 * own record of it (replacing any earlier grant of this user for this client).
 */
export async function grantConsent(provider: Provider, db: Kysely<Database>, config: Readonly<Config>, details: Details, context: RequestContext) {
  const c = await coverage(db, details);
  if (c.accounts.length === 0 || c.business.length === 0) return { ok: false as const };
  const userId = details.session!.accountId;
  const user = await findUserIdentity(db, userId);
  if (!user) throw new Error(`user ${userId} disappeared during the interaction`);
  const periodSeconds = Math.round((c.end.getTime() - c.start.getTime()) / 1000);
  const grant = new provider.Grant({ accountId: userId, clientId: c.client.clientId, expiresIn: periodSeconds } as ConstructorParameters<typeof provider.Grant>[0]);

  const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const oidcScopes = new Set(prompt.missingOIDCScope ?? []);
  // Asked for at PAR (and allowed for the client); the holder grants it with 許可.
  const parJti = (details as unknown as { parJti?: string }).parJti;
  if (String(details.params.scope ?? '').split(' ').includes('offline_access') || (await offlineAccessWasRequested(db, parJti))) {
    oidcScopes.add('offline_access');
  }
  if (oidcScopes.size) grant.addOIDCScope([...oidcScopes].join(' '));
  if (prompt.missingOIDCClaims?.length) grant.addOIDCClaims(prompt.missingOIDCClaims);
  const audience = config.apiIdentifier;
  const requested = prompt.missingResourceScopes?.[audience] ?? c.business;
  const allowed = requested.filter((s) => c.business.includes(s));
  const rejected = requested.filter((s) => !c.business.includes(s));
  if (allowed.length) grant.addResourceScope(audience, allowed.join(' '));
  if (rejected.length) grant.rejectResourceScope(audience, rejected.join(' '));
  const oidcGrantId = await grant.save();

  await recordConsent(db, {
    userId, customerId: user.customerId, loginId: user.loginId, clientId: c.client.clientId, oidcGrantId,
    scopes: [...allowed, ...(oidcScopes.has('offline_access') ? ['offline_access'] : [])],
    accountIds: c.accounts.map((a) => a.id), grantedAt: c.start, expiresAt: c.end, context,
  });
  return { ok: true as const, oidcGrantId };
}
