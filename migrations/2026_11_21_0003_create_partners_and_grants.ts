import { sql, type Kysely } from 'kysely';

// API連携先 (partners), their OAuth clients, and the bank's record of every consent (DESIGN §4).
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table partners (
      id uuid primary key default gen_random_uuid(),
      legal_name text not null check (length(legal_name) between 1 and 120),
      service_name text not null check (length(service_name) between 1 and 120),
      -- 電子決済等代行業 登録番号
      registration_number text check (length(registration_number) <= 60),
      website_url text check (website_url ~ '^https://'),
      status text not null default 'active' check (status in ('active', 'suspended')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint partners__names_unique unique (legal_name, service_name)
    )`.execute(db);

  await sql`
    create table oauth_clients (
      client_id text primary key check (length(client_id) between 8 and 128),
      partner_id uuid not null references partners (id),
      -- RFC 7591 client metadata as oidc-provider validates it.
      metadata jsonb not null,
      -- What the bank lets this client ask for, whatever its metadata says.
      allowed_scopes text[] not null,
      show_business_selection boolean not null default true,
      consent_period_days integer not null default 90 check (consent_period_days between 1 and 3650),
      -- RFC 7592 registration access token (hash only).
      registration_access_token_hash text,
      status text not null default 'active' check (status in ('active', 'disabled')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint oauth_clients__metadata_object check (jsonb_typeof(metadata) = 'object'),
      constraint oauth_clients__scopes_known check (
        allowed_scopes <@ array['openid', 'offline_access', 'balances', 'transactions', 'transfers']::text[]
      )
    )`.execute(db);
  await sql`create index oauth_clients__partner on oauth_clients (partner_id)`.execute(db);

  // Initial access tokens for dynamic client registration, issued to one partner (RFC 7591 §3).
  await sql`
    create table initial_access_tokens (
      id uuid primary key default gen_random_uuid(),
      partner_id uuid not null references partners (id),
      token_hash text not null unique,
      expires_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table grants (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      client_id text not null references oauth_clients (client_id),
      -- oidc-provider's Grant id; the tokens it issues carry it.
      oidc_grant_id text unique,
      -- 利用業務 as scopes
      scopes text[] not null check (cardinality(scopes) > 0),
      granted_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      -- who ended it: user, client, administrator, operator, system (replaced, user deleted, ...)
      revoked_by text check (revoked_by in ('user', 'client', 'administrator', 'operator', 'system')),
      revoke_reason text,
      created_at timestamptz not null default now(),
      constraint grants__period check (expires_at > granted_at),
      constraint grants__revocation_consistent check ((revoked_at is null) = (revoked_by is null))
    )`.execute(db);
  // One active grant per (user, client): a new consent revokes the previous one first (DESIGN §6).
  await sql`create unique index grants__one_active_per_user_client on grants (user_id, client_id) where revoked_at is null`.execute(db);
  await sql`create index grants__client on grants (client_id)`.execute(db);

  await sql`
    create table grant_accounts (
      grant_id uuid not null references grants (id) on delete cascade,
      account_id uuid not null references accounts (id),
      primary key (grant_id, account_id)
    )`.execute(db);
  await sql`create index grant_accounts__account on grant_accounts (account_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table grant_accounts`.execute(db);
  await sql`drop table grants`.execute(db);
  await sql`drop table initial_access_tokens`.execute(db);
  await sql`drop table oauth_clients`.execute(db);
  await sql`drop table partners`.execute(db);
}
