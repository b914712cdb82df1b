import { sql, type Kysely } from 'kysely';

// The life of a link (DESIGN §15): who ended a grant in the words the holder reads (the holder, an
// administrator, the partner, expiry, a user or group change, a new consent), and when the partner last
// used it (最終利用日時). revoked_by keeps its coarse meaning for existing readers.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table grants
      add column ended_by text check (ended_by in ('holder', 'administrator', 'partner', 'expiry', 'user_change', 'group_change', 'replaced', 'system')),
      add column last_used_at timestamptz`.execute(db);
  await sql`
    update grants set ended_by = case revoked_by
      when 'user' then 'holder' when 'client' then 'partner' when 'administrator' then 'administrator'
      when 'system' then case when revoke_reason = 'replaced by a new consent' then 'replaced' else 'system' end
      else 'system' end
    where revoked_at is not null`.execute(db);
  // API連携サービスの利用状況 lists a user's (or a customer's users') grants, ended ones included.
  await sql`create index grants__user on grants (user_id, granted_at desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index grants__user`.execute(db);
  await sql`alter table grants drop column ended_by, drop column last_used_at`.execute(db);
}
