import { sql, type Kysely } from 'kysely';

// ビジネスID管理: groups with their rights, users, and per-account PIN registrations
// (DESIGN §4–§5, seed 003 §3–§4). Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table groups (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      name text not null check (length(name) between 1 and 30 and name = btrim(name)),
      -- 承認: limits in yen per item, present exactly when the group has 承認権限.
      approval_authority boolean not null default false,
      approval_limit bigint,
      self_approval_limit bigint,
      -- 円定期預金 and 外貨普通預金: 照会 / 操作 for all such accounts of the customer.
      time_deposit_inquiry boolean not null default false,
      time_deposit_operate boolean not null default false,
      fx_inquiry boolean not null default false,
      fx_operate boolean not null default false,
      -- その他 (seed 003 §3-1 rows 4–11)
      important_operations boolean not null default false,
      security_settings boolean not null default false,
      user_admin boolean not null default false,
      account_transfer_service boolean not null default false,
      virtual_account_service boolean not null default false,
      audit_log_view boolean not null default false,
      smartphone_app boolean not null default false,
      document_issuance boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint groups__name_unique unique (customer_id, name),
      constraint groups__id_customer_unique unique (id, customer_id),
      constraint groups__approval_limits check (
        (approval_authority and approval_limit is not null and self_approval_limit is not null
          and self_approval_limit >= 0 and self_approval_limit <= approval_limit
          and approval_limit <= 999999990000)
        or (not approval_authority and approval_limit is null and self_approval_limit is null)
      ),
      constraint groups__time_deposit_hierarchy check (not time_deposit_operate or time_deposit_inquiry),
      constraint groups__fx_hierarchy check (not fx_operate or fx_inquiry)
    )`.execute(db);

  // Per-account rights on 円普通預金 accounts only. A row exists exactly when the group may at least
  // 照会 the account; 操作 needs 照会, 振込・振替 and 総合振込 need 操作 (seed 003 §3-1 ※2).
  await sql`
    create table group_account_rights (
      group_id uuid not null,
      customer_id uuid not null,
      account_id uuid not null,
      account_type_code text not null default '01' check (account_type_code = '01'),
      inquiry boolean not null default true check (inquiry),
      operate boolean not null default false,
      transfer boolean not null default false,
      bulk_transfer boolean not null default false,
      primary key (group_id, account_id),
      foreign key (group_id, customer_id) references groups (id, customer_id) on delete cascade,
      foreign key (account_id, customer_id, account_type_code)
        references accounts (id, customer_id, account_type_code) on delete cascade,
      constraint group_account_rights__hierarchy check (
        (not operate or inquiry) and (not transfer or operate) and (not bulk_transfer or operate)
      )
    )`.execute(db);
  await sql`create index group_account_rights__account on group_account_rights (account_id)`.execute(db);

  await sql`
    create table users (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      login_id text not null check (login_id ~ '^[0-9]{10}$'),
      name text not null check (length(name) between 1 and 60),
      email text not null check (length(email) between 3 and 254 and email like '%_@_%'),
      -- master: the 取引責任者 of a corporate customer, or the holder of an individual customer.
      role text not null check (role in ('master', 'member')),
      group_id uuid,
      login_password_hash text not null,
      transaction_password_hash text,
      status text not null default 'setup_required'
        check (status in ('active', 'locked', 'reset_pending', 'setup_required')),
      login_failed_count integer not null default 0 check (login_failed_count between 0 and 5),
      locked_at timestamptz,
      transaction_password_failed_count integer not null default 0
        check (transaction_password_failed_count between 0 and 5),
      transaction_password_locked_at timestamptz,
      password_changed_at timestamptz,
      last_login_at timestamptz,
      deleted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- Login IDs are never reused, not even after a user is deleted.
      constraint users__login_id_unique unique (login_id),
      constraint users__id_customer_unique unique (id, customer_id),
      foreign key (group_id, customer_id) references groups (id, customer_id) on delete set null (group_id),
      constraint users__master_has_no_group check (role = 'member' or group_id is null),
      constraint users__member_has_group check (role = 'master' or group_id is not null or deleted_at is not null),
      constraint users__locked_consistent check ((status = 'locked') = (locked_at is not null)),
      constraint users__active_has_transaction_password check (status <> 'active' or transaction_password_hash is not null),
      constraint users__tx_lock_consistent
        check ((transaction_password_locked_at is not null) = (transaction_password_failed_count >= 5))
    )`.execute(db);
  await sql`
    create unique index users__one_master_per_customer on users (customer_id)
      where role = 'master' and deleted_at is null`.execute(db);
  await sql`create index users__group on users (group_id) where deleted_at is null`.execute(db);
  await sql`create index users__customer on users (customer_id) where deleted_at is null`.execute(db);

  // The user proved the account's 照会用暗証番号 once for API use (seed 000 手順3); persists across grants.
  await sql`
    create table pin_registrations (
      user_id uuid not null,
      account_id uuid not null,
      customer_id uuid not null,
      registered_at timestamptz not null default now(),
      primary key (user_id, account_id),
      foreign key (user_id, customer_id) references users (id, customer_id) on delete cascade,
      foreign key (account_id, customer_id) references accounts (id, customer_id) on delete cascade
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table pin_registrations`.execute(db);
  await sql`drop table users`.execute(db);
  await sql`drop table group_account_rights`.execute(db);
  await sql`drop table groups`.execute(db);
}
