import type { Migration } from 'kysely/migration';
import * as m0001 from './2026_11_21_0001_create_customers_and_accounts.ts';
import * as m0002 from './2026_11_21_0002_create_users_and_groups.ts';
import * as m0003 from './2026_11_21_0003_create_partners_and_grants.ts';
import * as m0004 from './2026_11_21_0004_create_credentials_audit_mail.ts';
import * as m1001 from './2026_11_21_1001_create_signing_keys.ts';
import * as m1002 from './2026_11_21_1002_create_dpop_proof_jtis.ts';
import * as m1003 from './2026_11_21_1003_notify_client_changes.ts';
import * as m2001 from './2026_11_21_2001_create_ib_sessions_and_pending_changes.ts';
import * as m3001 from './2026_12_04_3001_create_exchange_rates.ts';
import * as m4101 from './2026_12_04_4101_edit_versions.ts';
import * as m4201 from './2026_12_04_4201_grant_interaction_claim.ts';
import * as m4301 from './2026_12_04_4301_grant_life.ts';
import * as m4401 from './2026_12_04_4401_create_sent_notifications.ts';
import * as m4501 from './2026_12_04_4501_create_revoked_access_tokens.ts';
import * as m4801 from './2026_12_04_4801_create_bank_ca.ts';
import * as m5001 from './2026_12_05_5001_create_transfers.ts';
import * as m6001 from './2026_12_05_6001_certificate_orders.ts';
import * as m6201 from './2026_12_05_6201_create_certificate_login_handoffs.ts';

/** Every migration, statically imported so they are type-checked and no directory is scanned at run time. */
export const migrations: Record<string, Migration> = {
  '2026_11_21_0001_create_customers_and_accounts': m0001,
  '2026_11_21_0002_create_users_and_groups': m0002,
  '2026_11_21_0003_create_partners_and_grants': m0003,
  '2026_11_21_0004_create_credentials_audit_mail': m0004,
  '2026_11_21_1001_create_signing_keys': m1001,
  '2026_11_21_1002_create_dpop_proof_jtis': m1002,
  '2026_11_21_1003_notify_client_changes': m1003,
  '2026_11_21_2001_create_ib_sessions_and_pending_changes': m2001,
  '2026_12_04_3001_create_exchange_rates': m3001,
  '2026_12_04_4101_edit_versions': m4101,
  '2026_12_04_4201_grant_interaction_claim': m4201,
  '2026_12_04_4301_grant_life': m4301,
  '2026_12_04_4401_create_sent_notifications': m4401,
  '2026_12_04_4501_create_revoked_access_tokens': m4501,
  '2026_12_04_4801_create_bank_ca': m4801,
  '2026_12_05_5001_create_transfers': m5001,
  '2026_12_05_6001_certificate_orders': m6001,
  '2026_12_05_6201_create_certificate_login_handoffs': m6201,
};
