import type { Db } from '../db/transaction.ts';
import { findClient } from '../partners/clients.repository.ts';

/** The partner's names as the bank registered them, shown in the demo's header. */
export interface PartnerBrand {
  legalName: string;
  serviceName: string;
  websiteUrl: string | null;
}

/**
 * The demo's partner as the bank knows it, read through its own client registration. Read once and
 * kept: the names change only by the bank's hand. While the client or its partner is not active the
 * answer is empty (the header shows no names) and the next page asks again.
 */
export function partnerBrandOf(db: Db, clientId: string): () => Promise<PartnerBrand | undefined> {
  let known: PartnerBrand | undefined;
  return async () => {
    if (known) return known;
    const partner = (await findClient(db, clientId))?.partner;
    if (partner) known = { legalName: partner.legalName, serviceName: partner.serviceName, websiteUrl: partner.websiteUrl };
    return known;
  };
}
