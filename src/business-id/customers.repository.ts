import type { Db } from '../db/transaction.ts';
import { AppError } from '../shared/errors.ts';

/**
 * Locks the customer row for the rest of the transaction: limits counted after this cannot be
 * raced past by a concurrent request for the same customer (PostgreSQL row lock).
 */
export async function lockCorporateWithBusinessId(trx: Db, customerId: string) {
  const customer = await trx
    .selectFrom('customers')
    .select(['id', 'kind', 'business_id_status', 'certificate_service_status'])
    .where('id', '=', customerId)
    .forUpdate()
    .executeTakeFirst();
  if (!customer) throw new AppError(404, 'not_found');
  if (customer.kind !== 'corporate' || customer.business_id_status !== 'active') {
    throw new AppError(409, 'business_id_not_active');
  }
  return customer;
}
