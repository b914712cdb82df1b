import type { Kysely } from 'kysely';
import type { Provider } from 'oidc-provider';
import type { RequestContext } from '../audit/audit.repository.ts';
import { pinStatusOfVisibleAccounts } from '../business-id/inquiry-pins.service.ts';
import type { Config } from '../config/config.schema.ts';
import type { Database } from '../db/database.ts';
import { offlineAccessWasRequested } from '../oidc/offline-access.ts';
import type { ClientLookup } from '../oidc/client-lookup.ts';
import { providerWritesIn } from '../oidc/adapter.ts';
import { claimJourney, grantOfJourney, recordConsent } from '../partners/consent.service.ts';
import { translate, type Lang } from '../shared/i18n.ts';
import { jstParts } from '../shared/jst.ts';
import { crashPoint } from '../shared/crash-points.ts';
import { businessScopesIn, SCOPE } from '../shared/scopes.ts';
import { accountLabel, businessName, JOURNEY_TEXTS } from './journey.i18n.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Where step 5 reads from: the database, and clients through the provider's cache. */
interface ClientsAndDb {
  db: Kysely<Database>;
  findClient: ClientLookup;
}

const DAY = 86_400_000;

/** Why an account the user may see is not offered under 許可する口座. */
export type ExclusionReason = 'locked' | 'unregistered';

/**
 * What step 5 covers, computed on the server from the interaction and the database (never from the
 * form): the 利用業務 chosen in step 2 (or all those requested when it was skipped), the accounts the
 * user may see (those with a registered, unlocked PIN offered, the others listed with the reason they
 * are left out), and the period from now for the client's consent period.
 */
async function coverage({ db, findClient }: ClientsAndDb, details: Details, now = new Date()) {
  const clientId = String(details.params.client_id);
  const client = await findClient(clientId);
  if (!client) throw new Error(`client ${clientId} disappeared during the interaction`);
  const chosenInStep2 = (details.lastSubmission?.select_business as { scopes?: string[] } | undefined)?.scopes;
  const business = businessScopesIn(details.params.scope)
    .filter((s) => client.allowedScopes.includes(s))
    .filter((s) => !chosenInStep2 || chosenInStep2.includes(s));
  const accounts = (await pinStatusOfVisibleAccounts(db, details.session!.accountId)).map((a) => ({
    ...a, excluded: (a.locked ? 'locked' : !a.registered ? 'unregistered' : undefined) as ExclusionReason | undefined,
  }));
  const offered = accounts.filter((a) => !a.excluded);
  return { client, business, accounts, offered, start: now, end: new Date(now.getTime() + client.consentPeriodDays * DAY) };
}

/**
 * Who asks (DESIGN §15): the client's own registered name as the service, the partner's legal name as
 * the company, and the client's own site when it registered one.
 */
export function requesterOf(client: { clientId: string; metadata: Record<string, unknown>; partner: { legalName: string; websiteUrl: string | null } }) {
  const name = client.metadata.client_name;
  const uri = client.metadata.client_uri;
  return {
    serviceName: typeof name === 'string' && name.trim() ? name : client.clientId,
    legalName: client.partner.legalName,
    websiteUrl: typeof uri === 'string' && uri ? uri : client.partner.websiteUrl,
  };
}

/** Japan time, as the bank shows every date (DESIGN §8). */
export function formatJst(date: Date, lang: Lang): string {
  return translate(JOURNEY_TEXTS, lang).dateTime(jstParts(date));
}

/** Step 5's page data; `ticked` are the accounts to show ticked again (all offered ones by default). */
export async function consentView(journey: ClientsAndDb, details: Details, lang: Lang, ticked?: string[]) {
  const c = await coverage(journey, details);
  const t = translate(JOURNEY_TEXTS, lang);
  const who = requesterOf(c.client);
  return {
    ...who,
    consentIntro: t.consentIntro(`${who.serviceName}（${who.legalName}）`),
    businesses: c.business.map((s) => businessName(t, s)),
    // 振込 is more than reading: the holder is told plainly that transfers wait for their approval.
    transfersNotice: c.business.includes(SCOPE.transfers) ? t.transfersNotice(who.serviceName) : undefined,
    accounts: c.offered.map((a) => ({ id: a.id, label: accountLabel(t, a), ticked: ticked ? ticked.includes(a.id) : true })),
    excludedAccounts: c.accounts.filter((a) => a.excluded).map((a) => ({ label: accountLabel(t, a), reason: t.exclusion[a.excluded!] })),
    periodStart: formatJst(c.start, lang),
    periodEnd: formatJst(c.end, lang),
    consentDays: c.client.consentPeriodDays,
    canAllow: c.offered.length > 0 && c.business.length > 0,
  };
}

/** Whether step 5 has nothing to allow: no offered account or no 利用業務 (then the holder can only end the journey). */
export async function nothingToAllow(journey: ClientsAndDb, details: Details): Promise<boolean> {
  const c = await coverage(journey, details);
  return c.offered.length === 0 || c.business.length === 0;
}

export type ConsentOutcome =
  | { ok: true; oidcGrantId: string }
  | { ok: false; reason: 'nothing_to_allow' | 'no_account_ticked' };

/**
 * 許可: an oidc-provider Grant limited to what the holder allowed (every other requested scope is
 * rejected, or the consent prompt would loop) and living exactly the consent period, and the bank's
 * own record of it over the ticked accounts (replacing any earlier grant of this user for this client),
 * in one transaction: a crash leaves both or neither. One grant per journey: a second 許可 on the same
 * interaction (double click, two tabs, a retry after a lost answer) finds the first one's grant and
 * follows it, writing nothing.
 */
export async function grantConsent(
  journey: ClientsAndDb & { provider: Provider; config: Readonly<Config> }, details: Details, ticked: string[], context: RequestContext,
): Promise<ConsentOutcome> {
  const { provider, db, config } = journey;
  const userId = details.session!.accountId;
  const earlier = await grantOfJourney(db, details.uid);
  if (earlier) return { ok: true, oidcGrantId: earlier };
  const c = await coverage(journey, details);
  if (c.offered.length === 0 || c.business.length === 0) return { ok: false, reason: 'nothing_to_allow' };
  const accounts = c.offered.filter((a) => ticked.includes(a.id));
  if (accounts.length === 0) return { ok: false, reason: 'no_account_ticked' };
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

  const outcome = await db.transaction().execute((trx) => providerWritesIn(trx, async (): Promise<ConsentOutcome> => {
    // The claim, under the user's row lock: a 許可 that waited for another one of this journey follows it.
    const claim = await claimJourney(trx, userId, details.uid);
    if (!claim) throw new Error(`user ${userId} disappeared during the interaction`);
    if (claim.earlierOidcGrantId) return { ok: true, oidcGrantId: claim.earlierOidcGrantId };
    const oidcGrantId = await grant.save();
    crashPoint('consent.provider-grant-saved');
    await recordConsent(claim, {
      clientId: c.client.clientId, oidcGrantId, interactionUid: details.uid,
      scopes: [...allowed, ...(oidcScopes.has('offline_access') ? ['offline_access'] : [])],
      accountIds: accounts.map((a) => a.id), grantedAt: c.start, expiresAt: c.end, context,
    });
    return { ok: true, oidcGrantId };
  }));
  if (outcome.ok) crashPoint('consent.committed');
  return outcome;
}
