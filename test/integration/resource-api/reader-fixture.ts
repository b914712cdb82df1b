import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { AccountTypeCode, Database } from '../../../src/db/database.ts';
import type { GrantContext } from '../../../src/business-id/grant-check.repository.ts';
import { insertAccount, insertCustomer, insertMaster } from '../../helpers/factories.ts';

/**
 * Rows for calling the resource-API services without HTTP: a corporate customer's master user with
 * an active grant, accounts in that grant (with the user's 照会用暗証番号 registered), and statement
 * lines appended as the bank books them.
 */
export interface Reader {
  customerId: string;
  userId: string;
  grant: GrantContext;
}

export async function readerWithGrant(db: Kysely<Database>): Promise<Reader> {
  const customerId = await insertCustomer(db);
  const userId = await insertMaster(db, customerId);
  const partner = await db.insertInto('partners').values({ legal_name: `株式会社テスト連携${randomUUID()}`, service_name: 'テスト家計簿' })
    .returning('id').executeTakeFirstOrThrow();
  const clientId = `reader-${randomUUID()}`;
  await db.insertInto('oauth_clients').values({ client_id: clientId, partner_id: partner.id, metadata: '{}', allowed_scopes: ['balances', 'transactions'] }).execute();
  const grant = await db.insertInto('grants').values({
    user_id: userId, client_id: clientId, scopes: ['balances', 'transactions'], expires_at: new Date(Date.now() + 86_400_000), oidc_grant_id: `g-${randomUUID()}`,
  }).returning('id').executeTakeFirstOrThrow();
  return { customerId, userId, grant: { grantId: grant.id, userId, clientId } };
}

export interface TestAccount {
  id: string;
  publicId: string;
}

/** An account of the reader's customer; in the grant and registered with the PIN unless told otherwise. */
export async function readerAccount(
  db: Kysely<Database>,
  reader: Reader,
  over: { type?: AccountTypeCode; primary?: boolean; granted?: boolean; pinRegistered?: boolean; transferLimit?: string } = {},
): Promise<TestAccount> {
  const id = await insertAccount(db, reader.customerId, { account_type_code: over.type ?? '01', is_primary: over.primary ?? false });
  if (over.transferLimit !== undefined) await db.updateTable('accounts').set({ transfer_limit_amount: over.transferLimit }).where('id', '=', id).execute();
  if (over.pinRegistered ?? true) await db.insertInto('pin_registrations').values({ user_id: reader.userId, account_id: id, customer_id: reader.customerId }).execute();
  if (over.granted ?? true) await db.insertInto('grant_accounts').values({ grant_id: reader.grant.grantId, account_id: id }).execute();
  const { public_id } = await db.selectFrom('accounts').select('public_id').where('id', '=', id).executeTakeFirstOrThrow();
  return { id, publicId: public_id };
}

export interface Line {
  date: string;
  /** 1 入金 (credit), 2 出金 (debit). */
  type: 1 | 2;
  amount: string;
  remarks?: string;
}

/**
 * Appends lines in booking order; PostgreSQL computes each running balance from the previous one
 * (the first from the account's balance), so the test does no decimal arithmetic of its own.
 */
export async function appendLines(db: Kysely<Database>, accountId: string, lines: Line[]): Promise<void> {
  for (const l of lines) {
    await sql`
      insert into transactions (account_id, item_key, transaction_date, value_date, transaction_type, amount, balance_after, remarks)
      select a.id,
        coalesce((select max(item_key) from transactions where account_id = a.id), 0) + 7,
        ${l.date}::date, ${l.date}::date, ${l.type}, ${l.amount}::numeric,
        a.balance + case when ${l.type} = 1 then ${l.amount}::numeric else -${l.amount}::numeric end,
        ${l.remarks ?? ''}
      from accounts a where a.id = ${accountId}`.execute(db);
  }
}

/** `count` credits of 1 on one date, with item keys 3 apart, in one statement. */
export async function appendManyLines(db: Kysely<Database>, accountId: string, date: string, count: number): Promise<void> {
  await sql`
    insert into transactions (account_id, item_key, transaction_date, value_date, transaction_type, amount, balance_after, remarks)
    select a.id, base.k + 3 * i, ${date}::date, ${date}::date, 1, 1, a.balance + i, case when i % 4 = 0 then '' else 'ﾒｲｻｲ ' || i end
    from accounts a
      cross join (select coalesce(max(item_key), 0) as k from transactions where account_id = ${accountId}) base
      cross join generate_series(1, ${count}::int) i
    where a.id = ${accountId}
    order by i`.execute(db);
}

/** A Kysely handle over the same database that counts round trips (one per executed query). */
export function countingRoundTrips(db: Kysely<Database>): { db: Kysely<Database>; take(): number } {
  let n = 0;
  const counted = db.withPlugin({
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n++;
      return args.result;
    },
  });
  return {
    db: counted,
    take: () => {
      const seen = n;
      n = 0;
      return seen;
    },
  };
}
