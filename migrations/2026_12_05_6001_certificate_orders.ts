import { sql, type Kysely } from 'kysely';

// Certificate orders and the life of a certificate (DESIGN §14). An order is what an administrator (or
// the renewal notice) hands a user: retrieved once with the 証明書取得用パスワード within its expiry,
// cancelled by the fifth wrong password, by a newer order or by a revocation. The certificate it
// produces keeps a link to it (the retrieval password of its renewal is the one of its order), to the
// certificate it renews, and the time of its first login (which retires the renewed one).
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table certificate_orders (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      -- issue: ordered by an administrator (a re-issue revokes the user's other certificates once
      -- downloaded); renewal: renews renews_certificate_id, which stays valid until the new one is used
      kind text not null check (kind in ('issue', 'renewal')),
      renews_certificate_id uuid references certificates (id),
      -- argon2 of the 証明書取得用パスワード; null for a renewal proven by the certificate itself
      retrieval_password_hash text,
      failed_attempts integer not null default 0 check (failed_attempts between 0 and 5),
      status text not null default 'open' check (status in ('open', 'issued', 'cancelled')),
      cancel_reason text check (cancel_reason ~ '^[a-z_]+$'),
      expires_at timestamptz not null,
      -- SHA-256 of the token of the browser that gave the right password, and until when it counts
      verified_token_hash text,
      verified_until timestamptz,
      ordered_by_user_id uuid references users (id),
      certificate_id uuid references certificates (id),
      created_at timestamptz not null default now(),
      closed_at timestamptz,
      constraint certificate_orders__renewal_names_certificate check ((kind = 'renewal') = (renews_certificate_id is not null)),
      constraint certificate_orders__closed check ((status = 'open') = (closed_at is null)),
      constraint certificate_orders__cancel_reason check ((status = 'cancelled') = (cancel_reason is not null))
    )`.execute(db);
  // One open order per user for a new certificate, one open renewal per certificate: a newer one cancels the older.
  await sql`create unique index certificate_orders__open_issue on certificate_orders (user_id) where status = 'open' and kind = 'issue'`.execute(db);
  await sql`create unique index certificate_orders__open_renewal on certificate_orders (renews_certificate_id) where status = 'open'`.execute(db);
  // The stale-order sweep reads open orders by expiry.
  await sql`create index certificate_orders__open_expiry on certificate_orders (expires_at) where status = 'open'`.execute(db);

  await sql`
    alter table certificates
      add column order_id uuid references certificate_orders (id),
      add column replaces_certificate_id uuid references certificates (id),
      add column first_login_at timestamptz`.execute(db);
  // A certificate is renewed once: the database refuses a second successor, whatever the race.
  await sql`create unique index certificates__replaces on certificates (replaces_certificate_id) where replaces_certificate_id is not null`.execute(db);
  // The renewal-notice sweep reads issued certificates by their end.
  await sql`create index certificates__issued_expiry on certificates (not_after) where status = 'issued'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index certificates__issued_expiry`.execute(db);
  await sql`drop index certificates__replaces`.execute(db);
  await sql`alter table certificates drop column first_login_at, drop column replaces_certificate_id, drop column order_id`.execute(db);
  await sql`drop table certificate_orders`.execute(db);
}
