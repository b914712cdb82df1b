import type { Db } from '../db/transaction.ts';

/** A customer's accounts as the internet-banking home lists them: 代表口座 first, then by number. */
export function listCustomerAccounts(db: Db, customerId: string) {
  return db
    .selectFrom('accounts')
    .select(['branch_name', 'branch_code', 'account_type_code', 'account_number', 'is_primary', 'balance', 'currency'])
    .where('customer_id', '=', customerId)
    .orderBy('is_primary', 'desc')
    .orderBy('account_number')
    .execute();
}
