import { sql, type Kysely } from 'kysely';

// Certificate login happens on the mutual-TLS origin; the session starts on the main one. A handoff
// carries the authenticated user across: a random token (only its SHA-256 kept), short-lived, bound to
// where it may be used (internet banking, or one interaction of the consent journey), consumed by one
// conditional UPDATE so it works once. Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table certificate_login_handoffs (
      id uuid primary key default gen_random_uuid(),
      token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
      user_id uuid not null references users (id) on delete cascade,
      certificate_id uuid not null references certificates (id) on delete cascade,
      purpose text not null check (purpose in ('internet_banking', 'interaction')),
      -- the interaction the login belongs to (purpose 'interaction' only)
      interaction_uid text,
      -- internet banking: SHA-256 of the random state the main origin gave the browser in a cookie when
      -- it sent it to certificate login; the handoff is taken up only with that cookie (no login CSRF)
      browser_binding text check (browser_binding ~ '^[0-9a-f]{64}$'),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      created_at timestamptz not null default now(),
      constraint certificate_login_handoffs__interaction check ((purpose = 'interaction') = (interaction_uid is not null)),
      constraint certificate_login_handoffs__binding check ((purpose = 'internet_banking') = (browser_binding is not null))
    )`.execute(db);
  await sql`create index certificate_login_handoffs__expires_at on certificate_login_handoffs (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table certificate_login_handoffs`.execute(db);
}
