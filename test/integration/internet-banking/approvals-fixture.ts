import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/database.ts';
import { DEMO_PARTNER, DEMO_TRANSFER_BENEFICIARY } from '../../../src/db/seed/demo-data.ts';
import { jstParts } from '../../../src/shared/jst.ts';
import { requestTransfer } from '../../../src/transfers/transfers.service.ts';

/**
 * Transfer applications as a partner's request makes them (the domain's requestTransfer, as the API
 * route calls it): a client of the demo partner named かんたん家計簿, a grant with the `transfers` scope
 * covering the account, and the holder's PIN registration, which the API's permission check needs.
 */

export const SERVICE_NAME = 'かんたん家計簿';

async function transferClient(db: Kysely<Database>): Promise<string> {
  const clientId = 'approvals-test-client';
  const existing = await db.selectFrom('oauth_clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst();
  if (existing) return clientId;
  const partner = await db.selectFrom('partners').select('id').where('legal_name', '=', DEMO_PARTNER.legalName).executeTakeFirstOrThrow();
  await db.insertInto('oauth_clients').values({
    client_id: clientId, partner_id: partner.id, metadata: JSON.stringify({ client_id: clientId, client_name: SERVICE_NAME }),
    allowed_scopes: ['openid', 'offline_access', 'balances', 'transactions', 'transfers'],
  }).execute();
  return clientId;
}

export async function userOf(db: Kysely<Database>, loginId: string) {
  return db.selectFrom('users').select(['id', 'customer_id', 'email', 'name']).where('login_id', '=', loginId).executeTakeFirstOrThrow();
}

export async function accountOf(db: Kysely<Database>, accountNumber: string) {
  return db.selectFrom('accounts').select(['id', 'branch_code', 'account_type_code', 'account_number', 'balance', 'withdrawable_amount'])
    .where('account_number', '=', accountNumber).executeTakeFirstOrThrow();
}

/** Today in Japan, as a designated date ('YYYY-MM-DD'), or a number of days later. */
export function jstDay(daysLater = 0): string {
  const p = jstParts(new Date(Date.now() + daysLater * 86_400_000));
  return `${p.year}-${p.month}-${p.day}`;
}

let grants = 0;

/**
 * A transfer the partner requested with the user's grant from the account (7-digit number), to the demo
 * beneficiary in this bank unless another is given. Returns the application's id and 申請番号.
 */
export async function requestFor(db: Kysely<Database>, opts: {
  loginId: string; accountNumber: string; amount: string; designatedDate?: string;
  beneficiary?: Partial<Record<Exclude<keyof typeof DEMO_TRANSFER_BENEFICIARY, 'label'>, string>>; items?: number;
}): Promise<{ id: string; applyNo: string }> {
  const clientId = await transferClient(db);
  const user = await userOf(db, opts.loginId);
  const account = await accountOf(db, opts.accountNumber);
  // One active grant per user and client: the user's grant gains the account on first use.
  const grant = await db.selectFrom('grants').select('id').where('user_id', '=', user.id).where('client_id', '=', clientId).where('revoked_at', 'is', null).executeTakeFirst()
    ?? await db.insertInto('grants').values({
      user_id: user.id, client_id: clientId, scopes: ['transfers'], expires_at: new Date(Date.now() + 86_400_000), oidc_grant_id: `approvals-${++grants}-${user.id.slice(0, 8)}`,
    }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('grant_accounts').values({ grant_id: grant.id, account_id: account.id }).onConflict((oc) => oc.doNothing()).execute();
  await db.insertInto('pin_registrations').values({ user_id: user.id, account_id: account.id, customer_id: user.customer_id }).onConflict((oc) => oc.doNothing()).execute();
  const { label: _label, ...beneficiary } = { ...DEMO_TRANSFER_BENEFICIARY, ...opts.beneficiary };
  const transfers = Array.from({ length: opts.items ?? 1 }, (_, i) => ({ itemId: String(i + 1), transferAmount: opts.amount, ...beneficiary }));
  const res = await requestTransfer(db, { userId: user.id, customerId: user.customer_id, clientId, grantId: grant.id, grantAccountIds: [account.id] }, {
    accountId: account.branch_code + account.account_type_code + account.account_number,
    transferDesignatedDate: opts.designatedDate ?? jstDay(),
    ...(transfers.length > 1 ? { totalCount: String(transfers.length), totalAmount: String(BigInt(opts.amount) * BigInt(transfers.length)) } : {}),
    transfers,
  }, undefined, new Date());
  const row = await db.selectFrom('transfer_applications').select('id').where('apply_no', '=', res.body.applyNo).executeTakeFirstOrThrow();
  return { id: row.id, applyNo: res.body.applyNo };
}

export const statusOf = async (db: Kysely<Database>, id: string) =>
  (await db.selectFrom('transfer_applications').select(['status', 'version']).where('id', '=', id).executeTakeFirstOrThrow());

/** The version the 申請内容確認 screen carries in its form. */
export function versionIn(html: string): string {
  const m = /name="version" value="(\d+)"/.exec(html);
  if (!m) throw new Error('no version field on the page');
  return m[1]!;
}
