import { sql } from 'kysely';
import type { AccountTypeCode, GrantEndedBy } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';

/** Whose links a query reads: one user's, or every user's of the customer. */
export interface LinkScope {
  customerId: string;
  /** Only this user's links; every user's of the customer when absent. */
  userId?: string | undefined;
}

export interface LinkAccount {
  branchName: string;
  accountTypeCode: AccountTypeCode;
  accountNumber: string;
}

export interface LinkRow {
  grantId: string;
  userId: string;
  userName: string;
  loginId: string;
  clientId: string;
  /** The client's own registered `client_name` (DESIGN §15), or its id when it has none. */
  serviceName: string;
  /** The partner's legal name (提供会社名). */
  companyName: string;
  scopes: string[];
  accounts: LinkAccount[];
  grantedAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  /** When it ended (its expiry for a link that ran out before anyone ended it); null while active. */
  endedAt: Date | null;
  endedBy: GrantEndedBy | null;
}

/** How long ended and expired links stay listed under 終了した連携 (DESIGN §15: the last year). */
const ENDED_LISTED_FOR = sql`interval '1 year'`;

/**
 * API連携サービスの利用状況: the active links and those that ended or expired within the last year, of one
 * user or of every user of a customer, newest first; with each link's accounts. Two statements: the
 * grants, then their accounts.
 */
export async function listLinks(db: Db, scope: LinkScope): Promise<LinkRow[]> {
  let query = db
    .selectFrom('grants as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .innerJoin('oauth_clients as c', 'c.client_id', 'g.client_id')
    .innerJoin('partners as p', 'p.id', 'c.partner_id')
    .select([
      'g.id', 'g.user_id', 'u.name', 'u.login_id', 'g.client_id', 'p.legal_name', 'g.scopes', 'g.granted_at', 'g.expires_at',
      'g.last_used_at', 'g.revoked_at', 'g.ended_by', 'g.revoked_by', 'g.revoke_reason',
      sql<string | null>`c.metadata->>'client_name'`.as('client_name'),
      sql<boolean>`g.revoked_at is null and g.expires_at > now()`.as('active'),
    ])
    .where('u.customer_id', '=', scope.customerId)
    .where(sql<boolean>`coalesce(g.revoked_at, g.expires_at) > now() - ${ENDED_LISTED_FOR}`);
  if (scope.userId) query = query.where('g.user_id', '=', scope.userId);
  const rows = await query.orderBy('g.granted_at', 'desc').orderBy('g.id').execute();
  const accounts = await linkAccounts(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    grantId: r.id, userId: r.user_id, userName: r.name, loginId: r.login_id, clientId: r.client_id,
    serviceName: r.client_name?.trim() ? r.client_name : r.client_id, companyName: r.legal_name,
    scopes: r.scopes, accounts: accounts.get(r.id) ?? [], grantedAt: r.granted_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at,
    endedAt: r.active ? null : (r.revoked_at ?? r.expires_at),
    endedBy: r.active ? null : r.revoked_at ? (r.ended_by ?? olderEndedBy(r.revoked_by, r.revoke_reason)) : 'expiry',
  }));
}

/** Grants ended before ended_by existed, or by code that records only revoked_by (a new consent). */
function olderEndedBy(revokedBy: string | null, reason: string | null): GrantEndedBy {
  if (revokedBy === 'user') return 'holder';
  if (revokedBy === 'client') return 'partner';
  if (revokedBy === 'administrator') return 'administrator';
  return reason?.startsWith('replaced') ? 'replaced' : 'system';
}

async function linkAccounts(db: Db, grantIds: string[]): Promise<Map<string, LinkAccount[]>> {
  const byGrant = new Map<string, LinkAccount[]>();
  if (grantIds.length === 0) return byGrant;
  const rows = await db
    .selectFrom('grant_accounts as ga')
    .innerJoin('accounts as a', 'a.id', 'ga.account_id')
    .select(['ga.grant_id', 'a.branch_name', 'a.account_type_code', 'a.account_number'])
    .where('ga.grant_id', 'in', grantIds)
    .orderBy('a.is_primary', 'desc').orderBy('a.account_type_code').orderBy('a.account_number')
    .execute();
  for (const r of rows) {
    const list = byGrant.get(r.grant_id) ?? [];
    list.push({ branchName: r.branch_name, accountTypeCode: r.account_type_code, accountNumber: r.account_number });
    byGrant.set(r.grant_id, list);
  }
  return byGrant;
}

/**
 * The active link the viewer may end, locked until the caller's transaction ends: in the viewer's
 * customer, and the viewer's own unless they see the customer's links. Anything else is not found,
 * whatever the reason, so nobody learns of other customers' or other users' grants.
 */
export async function lockEndableLink(db: Db, scope: LinkScope, grantId: string) {
  let query = db
    .selectFrom('grants as g')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .select(['g.id', 'g.user_id'])
    .where('g.id', '=', grantId)
    .where('u.customer_id', '=', scope.customerId)
    .where('g.revoked_at', 'is', null)
    .where('g.expires_at', '>', sql<Date>`now()`);
  if (scope.userId) query = query.where('g.user_id', '=', scope.userId);
  return query.forUpdate('g').executeTakeFirst();
}
