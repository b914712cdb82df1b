import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/database.ts';
import { insertCustomer, loginId } from '../../helpers/factories.ts';

/** Rows the certificate lifecycle tests share: a corporate customer with the certificate service on, and its users. */
export async function certificateCustomer(db: Kysely<Database>): Promise<string> {
  const customerId = await insertCustomer(db);
  await db.updateTable('customers').set({ certificate_service_status: 'active' }).where('id', '=', customerId).execute();
  return customerId;
}

export async function insertUser(db: Kysely<Database>, customerId: string, over: { role?: 'master' | 'member'; email?: string } = {}): Promise<{ id: string; loginId: string }> {
  const login = loginId();
  let groupId: string | null = null;
  if (over.role === 'member') {
    const group = await db.insertInto('groups').values({ customer_id: customerId, name: `グループ${login}` }).returning('id').executeTakeFirstOrThrow();
    groupId = group.id;
  }
  const row = await db
    .insertInto('users')
    .values({
      customer_id: customerId, login_id: login, name: over.role === 'member' ? '利用者' : '取引責任者', email: over.email ?? `u${login}@example.test`,
      role: over.role ?? 'master', group_id: groupId, login_password_hash: 'x', transaction_password_hash: 'y', status: 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, loginId: login };
}

/** The newest mail to an address, from the outbox. */
export async function lastMailTo(db: Kysely<Database>, to: string) {
  return db.selectFrom('mail_outbox').select(['subject', 'text_body']).where('to_address', '=', to).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
}

export const RETRIEVAL_PASSWORD = 'Order2026pw';
export const KEY_PASSWORD = 'KeyProtect2026x';
