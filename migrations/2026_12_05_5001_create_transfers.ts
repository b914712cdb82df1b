import { sql, type Kysely } from 'kysely';

// Transfers (振込) requested through the API and approved in internet banking (DESIGN §17, GMO Aozora's
// two-phase model). Every state change is one conditional UPDATE on `status` (and `version` where a screen
// showed one), so two approvals, a sweep and a cancel racing for one application change it once.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table transfer_applications (
      id uuid primary key default gen_random_uuid(),
      -- The keyset of 振込状況照会 (queryKeyClass 2): strictly increasing in creation order.
      seq bigint generated always as identity,
      -- 受付番号(振込申請番号): 16 random digits, the unit of every later inquiry.
      apply_no text not null check (apply_no ~ '^[0-9]{16}$'),
      customer_id uuid not null references customers (id),
      -- The debit account, of the same customer.
      account_id uuid not null,
      requested_by_user_id uuid not null references users (id),
      client_id text references oauth_clients (client_id),
      grant_id uuid references grants (id) on delete set null,
      item_count integer not null check (item_count between 1 and 99),
      total_amount bigint not null check (total_amount between 1 and 999999999999),
      total_fee bigint not null default 0 check (total_fee >= 0),
      remitter_name text not null check (length(remitter_name) between 1 and 48),
      designated_date date not null,
      -- 1 next business day, 2 previous business day, 3 error (GMO's transferDateHolidayCode).
      holiday_code text not null default '1' check (holiday_code in ('1', '2', '3')),
      apply_comment text check (length(apply_comment) <= 20),
      status text not null default 'pending'
        check (status in ('pending', 'returned', 'withdrawn', 'expired', 'scheduled', 'executed', 'failed')),
      -- While pending: when it expires (TRANSFER_APPLY_TTL_HOURS, bounded by the designated date's end).
      apply_end_at timestamptz not null,
      decided_by_user_id uuid references users (id),
      decided_at timestamptz,
      decision_comment text check (length(decision_comment) <= 100),
      executed_at timestamptz,
      failure_reason text check (failure_reason ~ '^[a-z_]+$'),
      version integer not null default 1 check (version >= 1),
      idempotency_key text check (length(idempotency_key) between 1 and 255),
      -- SHA-256 of the canonical request body: the same key with another body is refused (409).
      request_hash text check (request_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint transfer_applications__apply_no_unique unique (apply_no),
      constraint transfer_applications__seq_unique unique (seq),
      constraint transfer_applications__idempotency unique (client_id, idempotency_key),
      constraint transfer_applications__account_of_customer
        foreign key (account_id, customer_id) references accounts (id, customer_id),
      constraint transfer_applications__key_with_hash check ((idempotency_key is null) = (request_hash is null)),
      constraint transfer_applications__decision_consistent check ((decided_at is null) = (decided_by_user_id is null)),
      constraint transfer_applications__executed_consistent check ((status = 'executed') = (executed_at is not null))
    )`.execute(db);
  // The sweeps: pending ones by expiry, scheduled ones by designated date.
  await sql`create index transfer_applications__pending_expiry on transfer_applications (apply_end_at) where status = 'pending'`.execute(db);
  await sql`create index transfer_applications__scheduled_date on transfer_applications (designated_date) where status = 'scheduled'`.execute(db);
  // 申請・承認一覧 and 振込状況照会 read by customer / account, newest first or by seq.
  await sql`create index transfer_applications__customer_created on transfer_applications (customer_id, created_at desc)`.execute(db);
  await sql`create index transfer_applications__account_seq on transfer_applications (account_id, seq)`.execute(db);

  await sql`
    create table transfer_items (
      application_id uuid not null references transfer_applications (id) on delete cascade,
      item_id integer not null check (item_id between 1 and 99),
      amount bigint not null check (amount between 1 and 999999999999),
      fee bigint not null default 0 check (fee >= 0),
      edi_info text check (length(edi_info) <= 20),
      beneficiary_bank_code text not null check (beneficiary_bank_code ~ '^[0-9]{4}$'),
      beneficiary_branch_code text not null check (beneficiary_branch_code ~ '^[0-9]{3}$'),
      -- 1 普通, 2 当座, 4 貯蓄, 9 その他
      account_type_code text not null check (account_type_code in ('1', '2', '4', '9')),
      account_number text not null check (account_number ~ '^[0-9]{7}$'),
      beneficiary_name text not null check (length(beneficiary_name) between 1 and 48),
      -- Set when the beneficiary is an account of this bank (BANK_CODE): execution credits it.
      beneficiary_account_id uuid references accounts (id),
      primary key (application_id, item_id)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table transfer_items`.execute(db);
  await sql`drop table transfer_applications`.execute(db);
}
