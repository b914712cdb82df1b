import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database.ts';
import { jstDate } from '../../shared/jst.ts';
import { hashSecret, tokenHash } from '../../shared/secret-hash.ts';
import {
  DEMO_ACCOUNTS,
  DEMO_CUSTOMERS,
  DEMO_GROUPS,
  DEMO_PARTNER,
  DEMO_USD_TTB,
  DEMO_USERS,
  type DemoAccount,
  type DemoCustomerKey,
} from './demo-data.ts';
import { generateStatement } from './transactions.ts';

/** What one run inserted; all zero when the demo data was already there. */
export interface SeedSummary {
  today: string;
  customers: number;
  accounts: number;
  groups: number;
  groupAccountRights: number;
  users: number;
  partners: number;
  transactions: number;
}

/**
 * Key of the transaction-scoped advisory lock that serialises seeding: several processes starting on
 * one empty database at once seed it exactly once (the later ones wait, then find every row there).
 * Arbitrary, but distinct from the test helper's template lock (724231) and Kysely's migration lock.
 */
const SEED_LOCK_KEY = 7_365_001;

type Trx = Transaction<Database>;

/**
 * Takes the seeding lock, polling: another starter's seeding may take longer than the per-statement
 * budget (and the client's query timeout) a single blocking `pg_advisory_xact_lock` would have to fit in.
 */
async function waitForSeedLock(trx: Trx): Promise<void> {
  for (let waited = 0; ; waited += SEED_LOCK_POLL_MS) {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${sql.lit(SEED_LOCK_KEY)}) as locked`.execute(trx);
    if (rows[0]?.locked) return;
    if (waited > SEED_LOCK_MAX_WAIT_MS) throw new Error('demo data: another process has been seeding for too long');
    await new Promise((resolve) => setTimeout(resolve, SEED_LOCK_POLL_MS));
  }
}
const SEED_LOCK_POLL_MS = 100;
const SEED_LOCK_MAX_WAIT_MS = 300_000;

/** Today's date in Japan (YYYY-MM-DD): the bank's business day, whatever the server's zone. */
export function todayInTokyo(now: Date = new Date()): string {
  return jstDate(now);
}

/** True when the demo corporate customer exists (start-up seeds only when it does not). */
export async function hasDemoData(db: Kysely<Database>): Promise<boolean> {
  const { name, kind } = DEMO_CUSTOMERS.corporate;
  const row = await db.selectFrom('customers').select('id').where('name', '=', name).where('kind', '=', kind).executeTakeFirst();
  return row !== undefined;
}

/**
 * Creates the demo data of DESIGN §9, idempotently and in one transaction. Rows are found by their
 * natural keys (customer by name and kind, account by number, group by customer and name, user by
 * login ID, partner by names); existing rows are never modified, so an operator's changes survive a
 * re-run and passwords are never re-hashed. A group's account rights are inserted only with the
 * group, and statement lines only for an account that has none.
 *
 * Given the demo's initial access token (INITIAL_ACCESS_TOKEN, or the one generated and printed), it
 * registers it for the demo partner as an ordinary initial access token (stored hashed, like those
 * `npm run cli -- iat issue` makes): the demo partner then holds that token and no other.
 *
 * Deliberately absent: PIN registrations (§9: the first journey must show steps 3–4) and OAuth clients.
 */
export async function seedDemoData(db: Kysely<Database>, options: { today?: string; initialAccessToken?: string | undefined } = {}): Promise<SeedSummary> {
  const today = options.today ?? todayInTokyo();
  return db.transaction().execute(async (trx) => {
    await waitForSeedLock(trx);
    const summary: SeedSummary = { today, customers: 0, accounts: 0, groups: 0, groupAccountRights: 0, users: 0, partners: 0, transactions: 0 };

    const customerIds = {} as Record<DemoCustomerKey, string>;
    for (const key of ['corporate', 'individual', 'certificate'] as const) customerIds[key] = await ensureCustomer(trx, key, summary);

    const accountIds = new Map<string, string>();
    for (const a of DEMO_ACCOUNTS) accountIds.set(a.accountNumber, await ensureAccount(trx, a, customerIds[a.customer], summary));

    const groupIds = new Map<string, string>();
    for (const g of DEMO_GROUPS) {
      const customerId = customerIds[g.customer];
      const found = await trx.selectFrom('groups').select('id').where('customer_id', '=', customerId).where('name', '=', g.name).executeTakeFirst();
      if (found) {
        groupIds.set(g.name, found.id);
        continue;
      }
      const { id } = await trx
        .insertInto('groups')
        .values({
          customer_id: customerId,
          name: g.name,
          approval_authority: g.approval !== undefined,
          approval_limit: g.approval?.limit ?? null,
          self_approval_limit: g.approval?.selfLimit ?? null,
          ...g.flags,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      groupIds.set(g.name, id);
      summary.groups++;
      for (const r of g.rights) {
        await trx
          .insertInto('group_account_rights')
          .values({ group_id: id, customer_id: customerId, account_id: accountIds.get(r.accountNumber)!, operate: r.operate, transfer: r.transfer, bulk_transfer: r.bulkTransfer })
          .execute();
        summary.groupAccountRights++;
      }
    }

    for (const u of DEMO_USERS) {
      const found = await trx.selectFrom('users').select('id').where('login_id', '=', u.loginId).executeTakeFirst();
      if (found) continue;
      const [loginHash, txHash] = await Promise.all([hashSecret(u.loginPassword), hashSecret(u.transactionPassword)]);
      await trx
        .insertInto('users')
        .values({
          customer_id: customerIds[u.customer],
          login_id: u.loginId,
          name: u.name,
          email: u.email,
          role: u.role,
          group_id: u.group === null ? null : groupIds.get(u.group)!,
          login_password_hash: loginHash,
          transaction_password_hash: txHash,
          // Ready to log in: the bank issued these passwords, so no first-login setup is pending.
          status: 'active',
          password_changed_at: sql<Date>`now()`,
        })
        .execute();
      summary.users++;
    }

    const partnerId = await ensurePartner(trx, summary);
    if (options.initialAccessToken) await ensureDemoInitialAccessToken(trx, partnerId, options.initialAccessToken);

    for (const a of DEMO_ACCOUNTS) summary.transactions += await ensureStatement(trx, a, accountIds.get(a.accountNumber)!, today);
    await ensureExchangeRate(trx, today);
    return summary;
  });
}

/**
 * The demo's USD rate (TTB), published at 10:00 JST the day before the demo's first day, so a 外貨普通預金
 * shows its yen equivalent at any hour (DESIGN §8, GMO's Balance). Once: seeding again adds none.
 */
async function ensureExchangeRate(trx: Trx, today: string): Promise<void> {
  const any = await trx.selectFrom('exchange_rates').select('currency').where('currency', '=', 'USD').limit(1).executeTakeFirst();
  if (any) return;
  await trx.insertInto('exchange_rates')
    .values({ currency: 'USD', published_at: sql<Date>`(${today}::date - 1 + time '10:00') at time zone 'Asia/Tokyo'`, ttb: DEMO_USD_TTB })
    .execute();
}

async function ensurePartner(trx: Trx, summary: SeedSummary): Promise<string> {
  const p = DEMO_PARTNER;
  const found = await trx.selectFrom('partners').select('id').where('legal_name', '=', p.legalName).where('service_name', '=', p.serviceName).executeTakeFirst();
  if (found) return found.id;
  const { id } = await trx
    .insertInto('partners')
    .values({ legal_name: p.legalName, service_name: p.serviceName, registration_number: p.registrationNumber, website_url: p.websiteUrl })
    .returning('id')
    .executeTakeFirstOrThrow();
  summary.partners++;
  return id;
}

/**
 * The demo's token, valid without expiry while the demo runs with it. Every other token of the demo
 * partner is revoked, so changing INITIAL_ACCESS_TOKEN retires the former one.
 */
async function ensureDemoInitialAccessToken(trx: Trx, partnerId: string, token: string): Promise<void> {
  const hash = tokenHash(token);
  await trx.updateTable('initial_access_tokens').set({ revoked_at: sql<Date>`now()` })
    .where('partner_id', '=', partnerId).where('token_hash', '<>', hash).where('revoked_at', 'is', null).execute();
  await trx.insertInto('initial_access_tokens').values({ partner_id: partnerId, token_hash: hash, expires_at: null })
    .onConflict((oc) => oc.column('token_hash').doUpdateSet({ partner_id: partnerId, expires_at: null, revoked_at: null }))
    .execute();
}

async function ensureCustomer(trx: Trx, key: DemoCustomerKey, summary: SeedSummary): Promise<string> {
  const c = DEMO_CUSTOMERS[key];
  const found = await trx.selectFrom('customers').select('id').where('name', '=', c.name).where('kind', '=', c.kind).executeTakeFirst();
  if (found) return found.id;
  const { id } = await trx
    .insertInto('customers')
    .values({
      kind: c.kind, name: c.name, name_kana: c.nameKana, business_id_status: c.businessIdStatus,
      certificate_service_status: c.certificateServiceStatus, login_method: c.loginMethod,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  summary.customers++;
  return id;
}

async function ensureAccount(trx: Trx, a: DemoAccount, customerId: string, summary: SeedSummary): Promise<string> {
  const found = await trx
    .selectFrom('accounts')
    .select('id')
    .where('branch_code', '=', a.branchCode)
    .where('account_type_code', '=', a.accountTypeCode)
    .where('account_number', '=', a.accountNumber)
    .executeTakeFirst();
  if (found) return found.id;
  const { id } = await trx
    .insertInto('accounts')
    .values({
      customer_id: customerId,
      branch_code: a.branchCode,
      branch_name: a.branchName,
      account_type_code: a.accountTypeCode,
      account_number: a.accountNumber,
      is_primary: a.isPrimary,
      account_name: a.accountName,
      account_name_kana: a.accountNameKana,
      currency: a.currency,
      transfer_limit_amount: a.transferLimitAmount,
      opened_on: a.openedOn,
      inquiry_pin_hash: await hashSecret(a.pin),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  summary.accounts++;
  return id;
}

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters, few round trips. */
const CHUNK = 500;

/**
 * Writes the generated statement of an account that has none, then sets its balance to the last
 * line's. The append-only trigger checks each row against the rows before it, including earlier rows
 * of the same multi-row INSERT, so lines go in booking order. A time deposit cannot be withdrawn
 * before maturity, so its withdrawable amount stays 0; other accounts can withdraw their whole balance.
 */
async function ensureStatement(trx: Trx, a: DemoAccount, accountId: string, today: string): Promise<number> {
  const any = await trx.selectFrom('transactions').select('id').where('account_id', '=', accountId).limit(1).executeTakeFirst();
  if (any) return 0;
  const lines = generateStatement({ accountNumber: a.accountNumber, profile: a.statement, openedOn: a.openedOn, today });
  for (let i = 0; i < lines.length; i += CHUNK) {
    await trx
      .insertInto('transactions')
      .values(
        lines.slice(i, i + CHUNK).map((l) => ({
          account_id: accountId,
          item_key: l.itemKey,
          transaction_date: l.transactionDate,
          value_date: l.valueDate,
          transaction_type: l.transactionType,
          amount: l.amount,
          balance_after: l.balanceAfter,
          remarks: l.remarks,
        })),
      )
      .execute();
  }
  const last = lines.at(-1);
  if (last) {
    await trx
      .updateTable('accounts')
      .set({ balance: last.balanceAfter, withdrawable_amount: a.accountTypeCode === '11' ? '0' : last.balanceAfter, updated_at: sql<Date>`now()` })
      .where('id', '=', accountId)
      .execute();
  }
  return lines.length;
}
