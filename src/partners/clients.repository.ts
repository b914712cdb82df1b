import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import { KNOWN_SCOPES } from '../shared/scopes.ts';
import { tokenHash } from '../shared/secret-hash.ts';

/** Client metadata property carrying the 利用業務 a client may ask for (bank-controlled, never client-set). */
export const BUSINESS_SCOPES_METADATA = 'renkei_business_scopes';

export interface ClientWithPartner {
  clientId: string;
  metadata: Record<string, unknown>;
  allowedScopes: string[];
  showBusinessSelection: boolean;
  consentPeriodDays: number;
  partner: { id: string; legalName: string; serviceName: string; websiteUrl: string | null };
}

/** An active client of an active partner, with what the bank controls about it. */
export async function findClient(db: Db, clientId: string): Promise<ClientWithPartner | undefined> {
  const row = await db
    .selectFrom('oauth_clients as c')
    .innerJoin('partners as p', 'p.id', 'c.partner_id')
    .select([
      'c.client_id', 'c.metadata', 'c.allowed_scopes', 'c.show_business_selection', 'c.consent_period_days',
      'p.id as partner_id', 'p.legal_name', 'p.service_name', 'p.website_url',
    ])
    .where('c.client_id', '=', clientId)
    .where('c.status', '=', 'active')
    .where('p.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    clientId: row.client_id,
    metadata: row.metadata,
    allowedScopes: row.allowed_scopes,
    showBusinessSelection: row.show_business_selection,
    consentPeriodDays: row.consent_period_days,
    partner: { id: row.partner_id, legalName: row.legal_name, serviceName: row.service_name, websiteUrl: row.website_url },
  };
}

/**
 * Stores a client registered or updated through RFC 7591/7592. A new client gets the scopes it asked
 * for that the bank offers; an update never widens what the bank allowed.
 */
export async function saveRegisteredClient(
  db: Kysely<Database>,
  clientId: string,
  metadata: Record<string, unknown>,
  partnerId: string | undefined,
): Promise<void> {
  // The registration policy moved the 利用業務 out of `scope` (which oidc-provider keeps to OIDC scopes).
  const asked = [metadata.scope, metadata[BUSINESS_SCOPES_METADATA]].filter((v) => typeof v === 'string').join(' ').split(' ');
  const allowed = KNOWN_SCOPES.filter((s) => asked.includes(s));
  const existing = await db.selectFrom('oauth_clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst();
  if (existing) {
    await db.updateTable('oauth_clients').set({ metadata: JSON.stringify(metadata), updated_at: new Date() }).where('client_id', '=', clientId).execute();
    return;
  }
  if (!partnerId) throw new Error('a new client needs the partner of its initial access token');
  await db
    .insertInto('oauth_clients')
    .values({ client_id: clientId, partner_id: partnerId, metadata: JSON.stringify(metadata), allowed_scopes: allowed })
    .execute();
}

/** RFC 7592 delete: the client stops working; its grants and history stay for the bank's records. */
export async function disableClient(db: Kysely<Database>, clientId: string): Promise<void> {
  await db.updateTable('oauth_clients').set({ status: 'disabled', updated_at: new Date() }).where('client_id', '=', clientId).execute();
}

/** The partner an initial access token was issued to, if it is valid. Tokens are stored as hashes only. */
export async function partnerOfInitialAccessToken(db: Db, token: string): Promise<{ partnerId: string; expiresAt: Date | null } | undefined> {
  const row = await db
    .selectFrom('initial_access_tokens')
    .innerJoin('partners', 'partners.id', 'initial_access_tokens.partner_id')
    .select(['initial_access_tokens.partner_id', 'initial_access_tokens.expires_at'])
    .where('token_hash', '=', tokenHash(token))
    .where('revoked_at', 'is', null)
    .where('partners.status', '=', 'active')
    .executeTakeFirst();
  if (!row || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
  return { partnerId: row.partner_id, expiresAt: row.expires_at };
}
