import { sql, type Kysely } from 'kysely';

// An edit screen carries the version of the row it showed; confirming re-reads it under the row lock and
// refuses when another administrator changed the row meanwhile (no lost update). Only administrative edits
// bump it: login counters and the like must not make an administrator's form stale.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table groups add column version integer not null default 1`.execute(db);
  await sql`alter table users add column version integer not null default 1`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table users drop column version`.execute(db);
  await sql`alter table groups drop column version`.execute(db);
}
