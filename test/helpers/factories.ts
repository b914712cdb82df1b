import { randomInt } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';

/** Small builders for rows tests need; each returns the new id. Values are unique per call. */
let seq = 0;
const next = () => `${process.pid % 1000}${++seq}${randomInt(1000)}`;

export async function insertCustomer(
  db: Kysely<Database>,
  over: Partial<{ kind: 'individual' | 'corporate'; business_id_status: 'none' | 'active' }> = {},
): Promise<string> {
  const kind = over.kind ?? 'corporate';
  const row = await db
    .insertInto('customers')
    .values({
      kind,
      name: `テスト商事${next()}`,
      name_kana: 'ﾃｽﾄｼｮｳｼﾞ',
      business_id_status: over.business_id_status ?? (kind === 'corporate' ? 'active' : 'none'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertAccount(
  db: Kysely<Database>,
  customerId: string,
  over: Partial<{ account_type_code: '01' | '11' | '51'; is_primary: boolean }> = {},
): Promise<string> {
  const type = over.account_type_code ?? '01';
  const row = await db
    .insertInto('accounts')
    .values({
      customer_id: customerId,
      branch_code: '101',
      branch_name: '法人営業部',
      account_type_code: type,
      account_number: String(randomInt(1_000_000, 10_000_000)),
      is_primary: over.is_primary ?? false,
      account_name: 'テスト商事',
      account_name_kana: 'ﾃｽﾄｼｮｳｼﾞ',
      currency: type === '51' ? 'USD' : 'JPY',
      opened_on: '2024-04-01',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function loginId(): string {
  return String(randomInt(1_000_000_000, 10_000_000_000));
}

export async function insertMaster(db: Kysely<Database>, customerId: string): Promise<string> {
  const row = await db
    .insertInto('users')
    .values({
      customer_id: customerId,
      login_id: loginId(),
      name: '取引責任者',
      email: 'master@example.test',
      role: 'master',
      login_password_hash: 'x',
      transaction_password_hash: 'y',
      status: 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
