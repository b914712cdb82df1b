import { sql, type Kysely } from 'kysely';

// The authorization server's signing keys (DESIGN §7), private parts encrypted with KEY_ENCRYPTION_KEY.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table signing_keys (
      kid text primary key,
      alg text not null check (alg in ('ES256', 'PS256', 'EdDSA')),
      -- the private JWK as a compact JWE (dir, A256GCM) under KEY_ENCRYPTION_KEY
      private_jwk_jwe text not null,
      public_jwk jsonb not null,
      -- active keys sign; retired keys stay published so tokens they signed still verify
      status text not null default 'active' check (status in ('active', 'retired')),
      created_at timestamptz not null default now(),
      retired_at timestamptz,
      constraint signing_keys__retirement_consistent check ((status = 'retired') = (retired_at is not null))
    )`.execute(db);
  await sql`create unique index signing_keys__one_active_per_alg on signing_keys (alg) where status = 'active'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table signing_keys`.execute(db);
}
