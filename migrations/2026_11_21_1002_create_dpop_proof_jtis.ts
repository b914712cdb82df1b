import { sql, type Kysely } from 'kysely';

// DPoP proofs already seen by the resource API (RFC 9449 §11.1): shared by every renkei process on
// the database, so a proof replayed against another instance is refused too. Frozen.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table dpop_proof_jtis (
      -- SHA-256 of (key thumbprint, jti): a jti is unique per key
      key text primary key,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index dpop_proof_jtis__expires_at on dpop_proof_jtis (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table dpop_proof_jtis`.execute(db);
}
