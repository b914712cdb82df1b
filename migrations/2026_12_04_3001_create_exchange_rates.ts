import { sql, type Kysely } from 'kysely';

// The bank's published foreign-exchange rates (DESIGN §8, GMO's Balance of a 外貨普通預金: `ttb`,
// `baseRateDate`, `baseRateTime`, `yenEquivalent`). Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table exchange_rates (
      currency text not null check (currency ~ '^[A-Z]{3}$' and currency <> 'JPY'),
      -- 外貨レート基準日時: from when the rate applies; the newest at or before an inquiry is used.
      published_at timestamptz not null,
      -- TTB (電信買相場): the yen the bank pays for one unit of the currency, the rate at which a
      -- customer's foreign-currency deposit is worth its yen equivalent. At most 3 decimals (GMO).
      ttb numeric(12, 3) not null check (ttb > 0),
      created_at timestamptz not null default now(),
      primary key (currency, published_at)
    )`.execute(db);
  // No rate is inserted here: a bank's rates come from its feed (the demo seed adds one for the demo).
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table exchange_rates`.execute(db);
}
