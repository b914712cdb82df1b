import { sql, type Kysely } from 'kysely';

// One 許可 per journey: the bank grant names the interaction that produced it, and no two grants may
// name the same one. Parallel 許可 on one interaction then yields exactly one grant (the others find it
// and follow it). Null for grants written before this column existed.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table grants add column interaction_uid text`.execute(db);
  await sql`create unique index grants__interaction_uid on grants (interaction_uid) where interaction_uid is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index grants__interaction_uid`.execute(db);
  await sql`alter table grants drop column interaction_uid`.execute(db);
}
