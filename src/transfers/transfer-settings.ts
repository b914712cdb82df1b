/**
 * What transfers take from the configuration (DESIGN §10, §17). The domain never reads the configuration
 * itself: surfaces and sweeps pass these, so tests can set them per call.
 */
export interface TransferSettings {
  /** TRANSFER_APPLY_TTL_HOURS: a pending application expires this long after the request (or at the end of its designated date). */
  applyTtlHours: number;
  /** BANK_CODE: this bank's 金融機関コード; beneficiaries with it are credited at execution. */
  bankCode: string;
}

export const DEFAULT_TRANSFER_SETTINGS: TransferSettings = { applyTtlHours: 24, bankCode: '0310' };
