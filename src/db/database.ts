import type { ColumnType, Generated, Insertable } from 'kysely';

/**
 * The one typed view of the schema in `migrations/`. Numeric money columns come back as strings
 * (exact decimals), dates as `YYYY-MM-DD` strings (see create-db.ts type parsers), times as Date.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Money = ColumnType<string, string | number, string | number>;
type DateOnly = ColumnType<string, string, string>;
type BigIntStr = ColumnType<string, string | number | bigint, string | number | bigint>;

export type CustomerKind = 'individual' | 'corporate';
export type ServiceStatus = 'none' | 'active';
export type LoginMethod = 'password' | 'certificate';
export type AccountTypeCode = '01' | '11' | '51';
export type UserRole = 'master' | 'member';
export type UserStatus = 'active' | 'locked' | 'reset_pending' | 'setup_required';

export interface CustomersTable {
  id: Generated<string>;
  kind: CustomerKind;
  name: string;
  name_kana: string;
  business_id_status: ColumnType<ServiceStatus, ServiceStatus | undefined, ServiceStatus>;
  certificate_service_status: ColumnType<ServiceStatus, ServiceStatus | undefined, ServiceStatus>;
  login_method: ColumnType<LoginMethod, LoginMethod | undefined, LoginMethod>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AccountsTable {
  id: Generated<string>;
  customer_id: string;
  branch_code: string;
  branch_name: string;
  account_type_code: AccountTypeCode;
  account_number: string;
  public_id: ColumnType<string, never, never>;
  is_primary: ColumnType<boolean, boolean | undefined, boolean>;
  account_name: string;
  account_name_kana: string;
  currency: string;
  balance: ColumnType<string, string | number | undefined, string | number>;
  withdrawable_amount: ColumnType<string, string | number | undefined, string | number>;
  transfer_limit_amount: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  opened_on: DateOnly;
  inquiry_pin_hash: string | null;
  pin_failed_count: ColumnType<number, number | undefined, number>;
  pin_locked_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TransactionsTable {
  id: Generated<string>;
  account_id: string;
  item_key: BigIntStr;
  transaction_date: DateOnly;
  value_date: DateOnly;
  transaction_type: 1 | 2;
  amount: Money;
  balance_after: Money;
  remarks: ColumnType<string, string | undefined, never>;
  created_at: CreatedAt;
}

export interface GroupsTable {
  id: Generated<string>;
  customer_id: string;
  name: string;
  approval_authority: ColumnType<boolean, boolean | undefined, boolean>;
  approval_limit: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  self_approval_limit: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  time_deposit_inquiry: ColumnType<boolean, boolean | undefined, boolean>;
  time_deposit_operate: ColumnType<boolean, boolean | undefined, boolean>;
  fx_inquiry: ColumnType<boolean, boolean | undefined, boolean>;
  fx_operate: ColumnType<boolean, boolean | undefined, boolean>;
  important_operations: ColumnType<boolean, boolean | undefined, boolean>;
  security_settings: ColumnType<boolean, boolean | undefined, boolean>;
  user_admin: ColumnType<boolean, boolean | undefined, boolean>;
  account_transfer_service: ColumnType<boolean, boolean | undefined, boolean>;
  virtual_account_service: ColumnType<boolean, boolean | undefined, boolean>;
  audit_log_view: ColumnType<boolean, boolean | undefined, boolean>;
  smartphone_app: ColumnType<boolean, boolean | undefined, boolean>;
  document_issuance: ColumnType<boolean, boolean | undefined, boolean>;
  /** Bumped by every administrative edit; an edit form carries the version it showed. */
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface GroupAccountRightsTable {
  group_id: string;
  customer_id: string;
  account_id: string;
  account_type_code: ColumnType<'01', '01' | undefined, never>;
  inquiry: ColumnType<boolean, boolean | undefined, boolean>;
  operate: ColumnType<boolean, boolean | undefined, boolean>;
  transfer: ColumnType<boolean, boolean | undefined, boolean>;
  bulk_transfer: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface UsersTable {
  id: Generated<string>;
  customer_id: string;
  login_id: string;
  name: string;
  email: string;
  role: UserRole;
  group_id: string | null;
  login_password_hash: string;
  transaction_password_hash: string | null;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  login_failed_count: ColumnType<number, number | undefined, number>;
  locked_at: Timestamp | null;
  transaction_password_failed_count: ColumnType<number, number | undefined, number>;
  transaction_password_locked_at: Timestamp | null;
  password_changed_at: Timestamp | null;
  last_login_at: Timestamp | null;
  deleted_at: Timestamp | null;
  /** Bumped by every administrative edit of name, mail or group; an edit form carries the version it showed. */
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PinRegistrationsTable {
  user_id: string;
  account_id: string;
  customer_id: string;
  registered_at: CreatedAt;
}

export interface PartnersTable {
  id: Generated<string>;
  legal_name: string;
  service_name: string;
  registration_number: string | null;
  website_url: string | null;
  status: ColumnType<'active' | 'suspended', 'active' | 'suspended' | undefined, 'active' | 'suspended'>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OauthClientsTable {
  client_id: string;
  partner_id: string;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  allowed_scopes: string[];
  show_business_selection: ColumnType<boolean, boolean | undefined, boolean>;
  consent_period_days: ColumnType<number, number | undefined, number>;
  registration_access_token_hash: string | null;
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface InitialAccessTokensTable {
  id: Generated<string>;
  partner_id: string;
  token_hash: string;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: CreatedAt;
}

export type RevokedBy = 'user' | 'client' | 'administrator' | 'operator' | 'system';
/** Who ended a grant, in the words of DESIGN §15 (plus a new consent replacing it, and the protocol engine). */
export type GrantEndedBy = 'holder' | 'administrator' | 'partner' | 'expiry' | 'user_change' | 'group_change' | 'replaced' | 'system';

export interface GrantsTable {
  id: Generated<string>;
  user_id: string;
  client_id: string;
  oidc_grant_id: string | null;
  scopes: string[];
  granted_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_by: RevokedBy | null;
  revoke_reason: string | null;
  ended_by: GrantEndedBy | null;
  /** 最終利用日時: the last resource API call, recorded at most once a minute. */
  last_used_at: Timestamp | null;
  /** The journey (oidc-provider interaction) whose 許可 made this grant: one grant per journey. */
  interaction_uid: ColumnType<string | null, string | null | undefined, never>;
  created_at: CreatedAt;
}

export interface GrantAccountsTable {
  grant_id: string;
  account_id: string;
}

export interface CertificatesTable {
  id: Generated<string>;
  user_id: string;
  serial_number: string;
  fingerprint_sha256: string | null;
  subject: string | null;
  not_before: Timestamp | null;
  not_after: Timestamp | null;
  status: ColumnType<'ordered' | 'issued' | 'revoked' | 'expired', 'ordered' | 'issued' | 'revoked' | 'expired' | undefined>;
  retrieval_password_hash: string | null;
  retrieval_expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoke_reason: string | null;
  created_at: CreatedAt;
  /** The order it was retrieved through (null for certificates issued outside an order, e.g. demo data). */
  order_id: string | null;
  /** The certificate this one renews; that one is retired at this one's first login. */
  replaces_certificate_id: string | null;
  first_login_at: Timestamp | null;
}

/** A certificate order (DESIGN §14): retrieved once with the 証明書取得用パスワード, or cancelled. */
export interface CertificateOrdersTable {
  /** オーダーID */
  id: Generated<string>;
  user_id: string;
  kind: 'issue' | 'renewal';
  renews_certificate_id: string | null;
  retrieval_password_hash: string | null;
  failed_attempts: ColumnType<number, number | undefined, number>;
  status: ColumnType<'open' | 'issued' | 'cancelled', 'open' | 'issued' | 'cancelled' | undefined>;
  cancel_reason: string | null;
  expires_at: Timestamp;
  verified_token_hash: string | null;
  verified_until: Timestamp | null;
  ordered_by_user_id: string | null;
  certificate_id: string | null;
  created_at: CreatedAt;
  closed_at: Timestamp | null;
}

export interface EmailTokensTable {
  id: Generated<string>;
  user_id: string;
  purpose: string;
  subject_hash: string;
  code_hash: string;
  attempts: ColumnType<number, number | undefined, number>;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface PasswordResetsTable {
  id: Generated<string>;
  user_id: string;
  kind: 'login' | 'transaction';
  token_hash: string;
  code_hash: string;
  attempts: ColumnType<number, number | undefined, number>;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface AuditEventsTable {
  id: ColumnType<string, never, never>;
  occurred_at: CreatedAt;
  customer_id: string | null;
  actor_user_id: string | null;
  actor_login_id: string | null;
  subject_user_id: string | null;
  type: string;
  outcome: ColumnType<'success' | 'failure', 'success' | 'failure' | undefined, never>;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

export interface MailOutboxTable {
  id: Generated<string>;
  to_address: string;
  subject: string;
  text_body: string;
  status: ColumnType<'stored' | 'sent' | 'failed', 'stored' | 'sent' | 'failed' | undefined>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  sent_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Timestamp | null;
  consumed_at: Timestamp | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: 'ES256' | 'PS256' | 'EdDSA';
  private_jwk_jwe: string;
  public_jwk: ColumnType<Record<string, unknown>, string, string>;
  status: ColumnType<'active' | 'retired', 'active' | 'retired' | undefined, 'active' | 'retired'>;
  created_at: CreatedAt;
  retired_at: Timestamp | null;
}

export interface DpopProofJtisTable {
  key: string;
  expires_at: Date;
}

/** What a scheduled sweep sent (DESIGN §16): the key makes every notice go out at most once. */
export interface SentNotificationsTable {
  kind: string;
  subject_id: string;
  milestone: string;
  sent_at: CreatedAt;
}

/** RFC 7009 revocations of (unstored, JWT) access tokens, until the tokens expire. */
export interface RevokedAccessTokensTable {
  jti: string;
  client_id: string;
  expires_at: Date;
  revoked_at: CreatedAt;
}

/** The bank's generated CA (DESIGN §14): one row, private keys sealed with KEY_ENCRYPTION_KEY. */
export interface BankCaTable {
  name: ColumnType<'bank', 'bank' | undefined, never>;
  root_certificate_pem: string;
  root_private_jwk_jwe: string;
  issuing_certificate_pem: string;
  issuing_private_jwk_jwe: string;
  created_at: CreatedAt;
}

/** The current CRL of an issuing CA, and the revocations it covers. */
export interface CertificateCrlsTable {
  issuer_sha256: string;
  crl_number: BigIntStr;
  der: ColumnType<Uint8Array, Uint8Array, Uint8Array>;
  this_update: Timestamp;
  next_update: Timestamp;
  revoked_count: number;
  last_revoked_at: Timestamp | null;
}

export interface Database {
  customers: CustomersTable;
  accounts: AccountsTable;
  transactions: TransactionsTable;
  groups: GroupsTable;
  group_account_rights: GroupAccountRightsTable;
  users: UsersTable;
  pin_registrations: PinRegistrationsTable;
  partners: PartnersTable;
  oauth_clients: OauthClientsTable;
  initial_access_tokens: InitialAccessTokensTable;
  grants: GrantsTable;
  grant_accounts: GrantAccountsTable;
  certificates: CertificatesTable;
  certificate_orders: CertificateOrdersTable;
  email_tokens: EmailTokensTable;
  password_resets: PasswordResetsTable;
  audit_events: AuditEventsTable;
  mail_outbox: MailOutboxTable;
  oidc_payloads: OidcPayloadsTable;
  signing_keys: SigningKeysTable;
  dpop_proof_jtis: DpopProofJtisTable;
  sent_notifications: SentNotificationsTable;
  revoked_access_tokens: RevokedAccessTokensTable;
  bank_ca: BankCaTable;
  certificate_crls: CertificateCrlsTable;
  certificate_login_handoffs: CertificateLoginHandoffsTable;
  ib_sessions: IbSessionsTable;
  pending_changes: PendingChangesTable;
  exchange_rates: ExchangeRatesTable;
  transfer_applications: TransferApplicationsTable;
  transfer_items: TransferItemsTable;
}

export type NewGroup = Insertable<GroupsTable>;

/** A certificate login on the mutual-TLS origin, waiting to be taken up once on the main origin. */
export interface CertificateLoginHandoffsTable {
  id: Generated<string>;
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  certificate_id: string;
  purpose: 'internet_banking' | 'interaction';
  interaction_uid: string | null;
  /** Internet banking: SHA-256 of the state in the browser's cookie on the main origin. */
  browser_binding: string | null;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  created_at: CreatedAt;
}

/** Published foreign-exchange rates: the newest at or before an inquiry applies (DESIGN §8, GMO's Balance). */
export interface ExchangeRatesTable {
  currency: string;
  published_at: ColumnType<Date, Date | string, never>;
  /** TTB, yen per unit, numeric(12,3) as a decimal string. */
  ttb: string;
  created_at: Generated<Date>;
}

/** Internet-banking sessions: the cookie holds the token, the table its SHA-256. */
export interface IbSessionsTable {
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  created_at: CreatedAt;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

/** A change entered on a ビジネスID管理 screen, waiting for 取引パスワード + メールトークン. */
export interface PendingChangesTable {
  id: Generated<string>;
  customer_id: string;
  actor_user_id: string;
  kind: string;
  payload: ColumnType<unknown, string, never>;
  subject_hash: string;
  expires_at: Timestamp;
  consumed_at: Timestamp | null;
  created_at: CreatedAt;
}

/** 申請中 → 差戻 / 取下げ / 期限切れ, or approved → 予約中 → 手続済 / 手続不成立 (DESIGN §17). */
export type TransferApplicationStatus = 'pending' | 'returned' | 'withdrawn' | 'expired' | 'scheduled' | 'executed' | 'failed';

/** A transfer requested through the API (振込依頼), awaiting or past approval in internet banking. */
export interface TransferApplicationsTable {
  id: Generated<string>;
  /** Keyset of 振込状況照会 (queryKeyClass 2). */
  seq: ColumnType<string, never, never>;
  apply_no: string;
  customer_id: string;
  account_id: string;
  requested_by_user_id: string;
  client_id: string | null;
  grant_id: string | null;
  item_count: number;
  total_amount: BigIntStr;
  total_fee: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  remitter_name: string;
  designated_date: DateOnly;
  holiday_code: ColumnType<'1' | '2' | '3', '1' | '2' | '3' | undefined, '1' | '2' | '3'>;
  apply_comment: string | null;
  status: ColumnType<TransferApplicationStatus, TransferApplicationStatus | undefined, TransferApplicationStatus>;
  apply_end_at: Timestamp;
  decided_by_user_id: string | null;
  decided_at: Timestamp | null;
  decision_comment: string | null;
  executed_at: Timestamp | null;
  failure_reason: string | null;
  version: ColumnType<number, number | undefined, number>;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TransferItemsTable {
  application_id: string;
  item_id: number;
  amount: BigIntStr;
  fee: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  edi_info: string | null;
  beneficiary_bank_code: string;
  beneficiary_branch_code: string;
  account_type_code: '1' | '2' | '4' | '9';
  account_number: string;
  beneficiary_name: string;
  beneficiary_account_id: string | null;
}
