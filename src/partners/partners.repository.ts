import type { Db } from '../db/transaction.ts';

/** An API連携先 as its clients and screens name it. */
interface Partner {
  id: string;
  legalName: string;
  serviceName: string;
  websiteUrl: string | null;
}

/**
 * The active partner with these names. Legal name and service name together are unique
 * (`partners__names_unique`), so they identify a partner without knowing its generated id.
 */
export async function findPartnerByNames(db: Db, names: { legalName: string; serviceName: string }): Promise<Partner | undefined> {
  const row = await db
    .selectFrom('partners')
    .select(['id', 'legal_name', 'service_name', 'website_url'])
    .where('legal_name', '=', names.legalName)
    .where('service_name', '=', names.serviceName)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row && { id: row.id, legalName: row.legal_name, serviceName: row.service_name, websiteUrl: row.website_url };
}
