import { sql, type Kysely } from 'kysely';

// Client certificates, one-time codes, password resets, the audit trail and the mail outbox.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table certificates (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      serial_number text not null unique check (serial_number ~ '^[0-9a-f]+$'),
      -- SHA-256 of the DER; what logs and mTLS token binding (x5t#S256) refer to.
      fingerprint_sha256 text unique check (fingerprint_sha256 ~ '^[0-9a-f]{64}$'),
      subject text,
      not_before timestamptz,
      not_after timestamptz,
      -- ordered: admin ordered it, user has not retrieved it yet (30 days, seed 003 §5)
      status text not null default 'ordered' check (status in ('ordered', 'issued', 'revoked', 'expired')),
      retrieval_password_hash text,
      retrieval_expires_at timestamptz,
      revoked_at timestamptz,
      revoke_reason text,
      created_at timestamptz not null default now(),
      constraint certificates__issued_has_cert check (
        status = 'ordered' or (fingerprint_sha256 is not null and not_before is not null and not_after is not null)
      ),
      constraint certificates__revocation_consistent check ((status = 'revoked') = (revoked_at is not null))
    )`.execute(db);
  await sql`create index certificates__user on certificates (user_id)`.execute(db);

  // メールトークン: 6-digit one-time codes bound to the exact change they confirm (DESIGN §5).
  await sql`
    create table email_tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      purpose text not null check (length(purpose) between 1 and 60),
      -- SHA-256 of the canonical form of the change being confirmed.
      subject_hash text not null,
      code_hash text not null,
      attempts integer not null default 0 check (attempts between 0 and 5),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index email_tokens__user on email_tokens (user_id, created_at)`.execute(db);

  // ログインパスワード / 取引パスワード 再設定: URL token and 認証番号, valid 30 minutes (seed 003 §4-4).
  await sql`
    create table password_resets (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      kind text not null check (kind in ('login', 'transaction')),
      token_hash text not null unique,
      code_hash text not null,
      attempts integer not null default 0 check (attempts between 0 and 5),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index password_resets__user on password_resets (user_id)`.execute(db);

  // Append-only. No foreign keys: the trail must outlive the users and customers it mentions.
  await sql`
    create table audit_events (
      id bigint generated always as identity primary key,
      occurred_at timestamptz not null default now(),
      customer_id uuid,
      actor_user_id uuid,
      actor_login_id text,
      subject_user_id uuid,
      type text not null check (type ~ '^[a-z0-9_.]+$'),
      outcome text not null default 'success' check (outcome in ('success', 'failure')),
      details jsonb not null default '{}'::jsonb,
      ip text,
      user_agent text,
      request_id text
    )`.execute(db);
  await sql`create index audit_events__customer_time on audit_events (customer_id, occurred_at)`.execute(db);
  await sql`create index audit_events__actor_time on audit_events (actor_user_id, occurred_at)`.execute(db);
  await sql`
    create trigger audit_events__append_only before update or delete on audit_events
      for each row execute function forbid_change('audit_events__append_only')`.execute(db);

  await sql`
    create table mail_outbox (
      id uuid primary key default gen_random_uuid(),
      to_address text not null,
      subject text not null,
      text_body text not null,
      status text not null default 'stored' check (status in ('stored', 'sent', 'failed')),
      attempts integer not null default 0,
      last_error text,
      sent_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index mail_outbox__created on mail_outbox (created_at)`.execute(db);

  // oidc-provider's artifacts, one jsonb row each (sessions, interactions, codes, grants, ...).
  await sql`
    create table oidc_payloads (
      model text not null,
      id text not null,
      payload jsonb not null,
      grant_id text,
      uid text,
      user_code text,
      expires_at timestamptz,
      consumed_at timestamptz,
      primary key (model, id)
    )`.execute(db);
  await sql`create index oidc_payloads__grant_id on oidc_payloads (grant_id) where grant_id is not null`.execute(db);
  await sql`create index oidc_payloads__uid on oidc_payloads (uid) where uid is not null`.execute(db);
  await sql`create index oidc_payloads__user_code on oidc_payloads (user_code) where user_code is not null`.execute(db);
  await sql`create index oidc_payloads__expires_at on oidc_payloads (expires_at) where expires_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table oidc_payloads`.execute(db);
  await sql`drop table mail_outbox`.execute(db);
  await sql`drop table audit_events`.execute(db);
  await sql`drop table password_resets`.execute(db);
  await sql`drop table email_tokens`.execute(db);
  await sql`drop table certificates`.execute(db);
}
