import { sql, type Kysely } from 'kysely';

// Internet-banking sessions (their own cookie, separate from oidc-provider's) and the changes an
// administrator has entered but not yet confirmed with 取引パスワード + メールトークン (seed 003 §3–§4).
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table ib_sessions (
      id uuid primary key default gen_random_uuid(),
      -- SHA-256 of the random session token; the token itself lives only in the signed cookie.
      token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
      user_id uuid not null references users (id) on delete cascade,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      -- Absolute limit; the idle limit is checked against last_seen_at.
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index ib_sessions__user on ib_sessions (user_id)`.execute(db);
  await sql`create index ib_sessions__expires on ib_sessions (expires_at)`.execute(db);

  await sql`
    create table pending_changes (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id) on delete cascade,
      actor_user_id uuid not null references users (id) on delete cascade,
      kind text not null check (kind ~ '^[a-z_.]+$'),
      payload jsonb not null,
      -- SHA-256 of the canonical JSON of (id, kind, payload): what the メールトークン is bound to.
      subject_hash text not null check (subject_hash ~ '^[0-9a-f]{64}$'),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index pending_changes__actor on pending_changes (actor_user_id, created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table pending_changes`.execute(db);
  await sql`drop table ib_sessions`.execute(db);
}
