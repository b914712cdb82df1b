import { randomInt } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { loadActor, type Actor } from '../../../src/business-id/actor.ts';
import type { Database } from '../../../src/db/database.ts';
import { hashSecret } from '../../../src/shared/secret-hash.ts';
import { jstDate } from '../../../src/shared/jst.ts';
import type { TransferContext, TransferRequestBody } from '../../../src/transfers/transfers.service.ts';

/**
 * A small bank for the transfer tests: a corporate customer with two 普通 accounts (the debit account funded),
 * a master user, an approver group (承認 あり, limits given) and a requester group (振込・振替 only), and a
 * beneficiary account of another customer in this bank. Every user has registered the PINs, so the API's
 * permission follows the group rights alone.
 */

export const TX_PASSWORD = 'Torihiki2024';
let hashed: Promise<string> | undefined;

export interface UserRef {
  id: string;
  loginId: string;
  email: string;
}

export interface World {
  db: Kysely<Database>;
  customerId: string;
  debit: { id: string; publicId: string; accountNumber: string };
  second: { id: string; publicId: string };
  beneficiary: { id: string; branchCode: string; accountNumber: string; customerId: string };
  clientId: string;
  master: UserRef;
  approver: UserRef;
  requester: UserRef;
  approverGroupId: string;
  requesterGroupId: string;
}

let n = 0;
const uniq = () => `${process.pid % 10000}${++n}${randomInt(1000)}`;
const loginId = () => String(randomInt(1_000_000_000, 10_000_000_000));
const accountNumber = () => String(randomInt(1_000_000, 10_000_000));

async function account(db: Kysely<Database>, customerId: string, over: { branch?: string; transferLimit?: number | null; primary?: boolean } = {}) {
  const number = accountNumber();
  const row = await db.insertInto('accounts').values({
    customer_id: customerId, branch_code: over.branch ?? '101', branch_name: over.branch === '100' ? '本店営業部' : '法人営業部',
    account_type_code: '01', account_number: number, is_primary: over.primary ?? false, account_name: 'テスト商事', account_name_kana: 'ﾃｽﾄｼﾖｳｼﾞ',
    currency: 'JPY', opened_on: '2024-04-01', transfer_limit_amount: over.transferLimit === undefined ? 10_000_000 : over.transferLimit,
  }).returning(['id', 'public_id']).executeTakeFirstOrThrow();
  return { id: row.id, publicId: row.public_id, accountNumber: number };
}

/** Puts money on an account through a statement line, as a deposit would. */
async function fund(db: Kysely<Database>, accountId: string, amount: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const last = await trx.selectFrom('transactions').select(['item_key', 'balance_after']).where('account_id', '=', accountId).orderBy('item_key', 'desc').limit(1).executeTakeFirst();
    const before = last ? Number(last.balance_after) : 0;
    await trx.insertInto('transactions').values({
      account_id: accountId, item_key: last ? String(BigInt(String(last.item_key)) + 1n) : '1', transaction_date: '2025-01-06', value_date: '2025-01-06',
      transaction_type: 1, amount: String(amount), balance_after: String(before + amount), remarks: 'ﾆﾕｳｷﾝ',
    }).execute();
    await trx.updateTable('accounts').set((eb) => ({ withdrawable_amount: sql<string>`${eb.ref('withdrawable_amount')} + ${amount}` })).where('id', '=', accountId).execute();
  });
}

async function user(db: Kysely<Database>, customerId: string, role: 'master' | 'member', groupId: string | null, name: string): Promise<UserRef> {
  const id = loginId();
  const email = `u${id}@example.test`;
  const row = await db.insertInto('users').values({
    customer_id: customerId, login_id: id, name, email, role, group_id: groupId, login_password_hash: 'x',
    transaction_password_hash: await (hashed ??= hashSecret(TX_PASSWORD)), status: 'active',
  }).returning('id').executeTakeFirstOrThrow();
  return { id: row.id, loginId: id, email };
}

export interface WorldOptions {
  approvalLimit?: number;
  selfApprovalLimit?: number;
  balance?: number;
  transferLimit?: number | null;
  kind?: 'corporate' | 'individual';
}

export async function makeWorld(db: Kysely<Database>, o: WorldOptions = {}): Promise<World> {
  const kind = o.kind ?? 'corporate';
  const customer = await db.insertInto('customers').values({ kind, name: `振込テスト${uniq()}`, name_kana: 'ﾌﾘｺﾐﾃｽﾄ', business_id_status: kind === 'corporate' ? 'active' : 'none' })
    .returning('id').executeTakeFirstOrThrow();
  const customerId = customer.id;
  const debit = await account(db, customerId, { transferLimit: o.transferLimit, primary: true });
  const second = await account(db, customerId);
  const other = await db.insertInto('customers').values({ kind: 'individual', name: `受取人${uniq()}`, name_kana: 'ｳｹﾄﾘﾆﾝ' }).returning('id').executeTakeFirstOrThrow();
  const ben = await account(db, other.id, { branch: '100' });
  if (o.balance !== 0) await fund(db, debit.id, o.balance ?? 1_000_000);

  const approverGroup = await db.insertInto('groups').values({
    customer_id: customerId, name: `承認${uniq()}`, approval_authority: true, approval_limit: o.approvalLimit ?? 500_000, self_approval_limit: o.selfApprovalLimit ?? 100_000,
  }).returning('id').executeTakeFirstOrThrow();
  const requesterGroup = await db.insertInto('groups').values({ customer_id: customerId, name: `申請${uniq()}` }).returning('id').executeTakeFirstOrThrow();
  for (const g of [approverGroup.id, requesterGroup.id]) {
    await db.insertInto('group_account_rights').values({ group_id: g, customer_id: customerId, account_id: debit.id, inquiry: true, operate: true, transfer: true }).execute();
    // The second account: 照会 only.
    await db.insertInto('group_account_rights').values({ group_id: g, customer_id: customerId, account_id: second.id, inquiry: true }).execute();
  }
  const master = kind === 'corporate' ? await user(db, customerId, 'master', null, '取引責任者') : await user(db, customerId, 'master', null, '個人 花子');
  const approver = kind === 'corporate' ? await user(db, customerId, 'member', approverGroup.id, '承認 太郎') : master;
  const requester = kind === 'corporate' ? await user(db, customerId, 'member', requesterGroup.id, '申請 次郎') : master;

  const partner = await db.insertInto('partners').values({ legal_name: `株式会社振込連携${uniq()}`, service_name: '振込テストアプリ' }).returning('id').executeTakeFirstOrThrow();
  const clientId = `transfer-client-${uniq()}`;
  await db.insertInto('oauth_clients').values({ client_id: clientId, partner_id: partner.id, metadata: JSON.stringify({ client_name: 'かんたん振込' }), allowed_scopes: ['transfers'] }).execute();
  for (const u of new Set([master.id, approver.id, requester.id])) {
    for (const a of [debit.id, second.id]) await db.insertInto('pin_registrations').values({ user_id: u, account_id: a, customer_id: customerId }).execute();
  }
  return {
    db, customerId, debit, second, beneficiary: { id: ben.id, branchCode: '100', accountNumber: ben.accountNumber, customerId: other.id }, clientId,
    master, approver, requester, approverGroupId: approverGroup.id, requesterGroupId: requesterGroup.id,
  };
}

export function ctxFor(w: World, u: UserRef, over: Partial<TransferContext> = {}): TransferContext {
  return { userId: u.id, customerId: w.customerId, clientId: w.clientId, grantId: null, grantAccountIds: [w.debit.id, w.second.id], ...over };
}

export async function actorOf(w: World, u: UserRef): Promise<Actor> {
  return (await loadActor(w.db, u.id))!;
}

export function today(now = new Date()): string {
  return jstDate(now);
}

export function addDays(date: string, days: number): string {
  const t = new Date(`${date}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** A one-item transfer to the in-bank beneficiary, for today unless told otherwise. */
export function bodyFor(w: World, over: Partial<TransferRequestBody> & { amount?: string } = {}): TransferRequestBody {
  const { amount, ...rest } = over;
  return {
    accountId: w.debit.publicId,
    transferDesignatedDate: today(),
    transfers: [{
      itemId: '1', transferAmount: amount ?? '10000', beneficiaryBankCode: '0310', beneficiaryBranchCode: w.beneficiary.branchCode,
      accountTypeCode: '1', accountNumber: w.beneficiary.accountNumber, beneficiaryName: 'ｳｹﾄﾘ ﾊﾅｺ',
    }],
    ...rest,
  };
}

/** balance and withdrawable amount of an account, in yen. */
export async function balances(db: Kysely<Database>, accountId: string): Promise<{ balance: number; withdrawable: number }> {
  const r = await db.selectFrom('accounts').select(['balance', 'withdrawable_amount']).where('id', '=', accountId).executeTakeFirstOrThrow();
  return { balance: Number(r.balance), withdrawable: Number(r.withdrawable_amount) };
}

/**
 * Another funded 普通 account of the world's customer on which both groups hold 振込・振替 and every user has
 * registered the PIN; returns it with the context that covers it.
 */
export async function addDebitAccount(w: World, balance: number): Promise<{ id: string; publicId: string }> {
  const a = await account(w.db, w.customerId);
  if (balance > 0) await fund(w.db, a.id, balance);
  for (const g of [w.approverGroupId, w.requesterGroupId]) {
    await w.db.insertInto('group_account_rights').values({ group_id: g, customer_id: w.customerId, account_id: a.id, inquiry: true, operate: true, transfer: true }).execute();
  }
  for (const u of new Set([w.master.id, w.approver.id, w.requester.id])) {
    await w.db.insertInto('pin_registrations').values({ user_id: u, account_id: a.id, customer_id: w.customerId }).execute();
  }
  return { id: a.id, publicId: a.publicId };
}
