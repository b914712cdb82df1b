import { sql, type Kysely } from 'kysely';

// Customers, their accounts and the statement lines (DESIGN §4). Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table customers (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('individual', 'corporate')),
      name text not null check (length(name) between 1 and 120),
      name_kana text not null check (length(name_kana) between 1 and 120),
      business_id_status text not null default 'none' check (business_id_status in ('none', 'active')),
      certificate_service_status text not null default 'none'
        check (certificate_service_status in ('none', 'active')),
      login_method text not null default 'password' check (login_method in ('password', 'certificate')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- ビジネスID管理 is a corporate service; the certificate service needs it (seed 003 §2-2),
      -- and certificate login needs the certificate service.
      constraint customers__business_id_corporate check (business_id_status = 'none' or kind = 'corporate'),
      constraint customers__certificate_needs_business_id
        check (certificate_service_status = 'none' or business_id_status = 'active'),
      constraint customers__certificate_login_needs_service
        check (login_method = 'password' or certificate_service_status = 'active')
    )`.execute(db);

  await sql`
    create table accounts (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      branch_code text not null check (branch_code ~ '^[0-9]{3}$'),
      branch_name text not null check (length(branch_name) between 1 and 60),
      -- 01 普通, 11 円定期, 51 外貨普通 (GMO Aozora's account type codes)
      account_type_code text not null check (account_type_code in ('01', '11', '51')),
      account_number text not null check (account_number ~ '^[0-9]{7}$'),
      -- The public accountId of the resource API: branch + type + number, 12 digits.
      public_id text generated always as (branch_code || account_type_code || account_number) stored,
      is_primary boolean not null default false,
      account_name text not null check (length(account_name) between 1 and 120),
      account_name_kana text not null check (length(account_name_kana) between 1 and 120),
      currency text not null check (currency ~ '^[A-Z]{3}$'),
      balance numeric(18, 2) not null default 0,
      withdrawable_amount numeric(18, 2) not null default 0 check (withdrawable_amount >= 0),
      transfer_limit_amount numeric(18, 2) check (transfer_limit_amount >= 0),
      opened_on date not null,
      -- The 照会用暗証番号 the holder filed with the bank (argon2id), and its lockout (seed 000 手順3).
      inquiry_pin_hash text,
      pin_failed_count integer not null default 0 check (pin_failed_count between 0 and 3),
      pin_locked_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint accounts__number_unique unique (branch_code, account_type_code, account_number),
      constraint accounts__public_id_unique unique (public_id),
      -- Lets rights rows reference (account, customer, type) so a group can never hold rights on
      -- another customer's account or per-account rights on a non-ordinary account.
      constraint accounts__id_customer_type_unique unique (id, customer_id, account_type_code),
      constraint accounts__id_customer_unique unique (id, customer_id),
      constraint accounts__yen_whole check (
        currency <> 'JPY' or (balance = trunc(balance) and withdrawable_amount = trunc(withdrawable_amount)
          and coalesce(transfer_limit_amount = trunc(transfer_limit_amount), true))
      ),
      constraint accounts__yen_types check ((account_type_code = '51') = (currency <> 'JPY')),
      constraint accounts__primary_is_ordinary check (not is_primary or account_type_code = '01'),
      constraint accounts__pin_lock_consistent check ((pin_locked_at is not null) = (pin_failed_count >= 3))
    )`.execute(db);
  await sql`create unique index accounts__one_primary_per_customer on accounts (customer_id) where is_primary`.execute(db);

  await sql`
    create table transactions (
      id uuid primary key default gen_random_uuid(),
      account_id uuid not null references accounts (id),
      -- Keyset for statement paging: strictly increasing per account, in booking order.
      item_key bigint not null check (item_key > 0),
      transaction_date date not null,
      value_date date not null,
      -- 1 入金 (credit), 2 出金 (debit)
      transaction_type smallint not null check (transaction_type in (1, 2)),
      amount numeric(18, 2) not null check (amount > 0),
      balance_after numeric(18, 2) not null,
      remarks text not null default '' check (length(remarks) <= 200),
      created_at timestamptz not null default now(),
      constraint transactions__account_item_key_unique unique (account_id, item_key)
    )`.execute(db);
  await sql`create index transactions__account_date_item_key on transactions (account_id, transaction_date, item_key)`.execute(db);

  // A line may only be appended: its item_key above every earlier one and its date not before the
  // last line's, its running balance must follow from the previous line, and a yen amount is whole.
  // The account's balance then follows the line. Enforced in the database so no code path (seed,
  // transfers, imports) can write a statement that does not add up.
  await sql`
    create function transactions__check_append() returns trigger language plpgsql as $$
    declare
      account_currency text;
      last_row transactions%rowtype;
      expected numeric(18, 2);
    begin
      select currency into account_currency from accounts where id = new.account_id for update;
      if account_currency = 'JPY' and (new.amount <> trunc(new.amount) or new.balance_after <> trunc(new.balance_after)) then
        raise exception 'yen amounts are whole' using errcode = '23514', constraint = 'transactions__yen_whole';
      end if;
      select * into last_row from transactions
        where account_id = new.account_id order by item_key desc limit 1;
      if found then
        if new.item_key <= last_row.item_key then
          raise exception 'item_key % is not above the last item_key % of the account', new.item_key, last_row.item_key
            using errcode = '23514', constraint = 'transactions__item_key_increasing';
        end if;
        if new.transaction_date < last_row.transaction_date then
          raise exception 'transaction_date % is before the last line''s date %', new.transaction_date, last_row.transaction_date
            using errcode = '23514', constraint = 'transactions__date_not_decreasing';
        end if;
        expected := last_row.balance_after + case when new.transaction_type = 1 then new.amount else -new.amount end;
        if new.balance_after <> expected then
          raise exception 'balance_after % does not follow from the previous balance (expected %)', new.balance_after, expected
            using errcode = '23514', constraint = 'transactions__running_balance';
        end if;
      end if;
      update accounts set balance = new.balance_after, updated_at = now() where id = new.account_id;
      return new;
    end
    $$`.execute(db);
  await sql`
    create trigger transactions__append_only_check before insert on transactions
      for each row execute function transactions__check_append()`.execute(db);
  // Shared by every append-only table; the trigger names the constraint reported (TG_ARGV[0]).
  await sql`
    create function forbid_change() returns trigger language plpgsql as $$
    begin
      raise exception '% rows cannot be changed or deleted', tg_table_name
        using errcode = '23514', constraint = tg_argv[0];
    end
    $$`.execute(db);
  await sql`
    create trigger transactions__immutable before update or delete on transactions
      for each row execute function forbid_change('transactions__immutable')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table transactions`.execute(db);
  await sql`drop function forbid_change`.execute(db);
  await sql`drop function transactions__check_append`.execute(db);
  await sql`drop table accounts`.execute(db);
  await sql`drop table customers`.execute(db);
}
