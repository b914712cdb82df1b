import { Type, type Static } from '@sinclair/typebox';

/**
 * The environment renkei reads (DESIGN §10). Every value arrives as a string; TypeBox's
 * `Value.Convert` turns numbers and booleans into their types before validation, so the
 * schema states the real types and `loadConfig` reports every violation at once.
 */
const Bool = Type.Boolean();
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const HttpsUrl = Type.String({ pattern: '^https://[^\\s/?#]+(/[^\\s?#]*)?$' });

export const EnvSchema = Type.Object({
  PUBLIC_URL: Type.Optional(HttpsUrl),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Optional(Port),
  MTLS_PORT: Type.Optional(Port),
  MTLS_PUBLIC_URL: Type.Optional(HttpsUrl),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  SEED_DEMO_DATA: Type.Optional(Bool),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TRUST_PROXY: Type.Boolean({ default: false }),
  TRUSTED_PROXIES: Type.Optional(Type.String({ minLength: 1 })),
  CLIENT_CERT_HEADER: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$' })),
  // The bank's CA (DESIGN §14): PEM issuing-CA certificate followed by its chain to the root, and its PKCS#8 key.
  CA_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CA_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CERT_VALIDITY_DAYS: Type.Integer({ minimum: 1, maximum: 825, default: 365 }),
  CERT_RENEWAL_NOTICE_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
  PARTNER_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'renkei <no-reply@renkei.localhost>' }),
  DEV_MAILBOX: Type.Optional(Bool),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  INITIAL_ACCESS_TOKEN: Type.Optional(Type.String({ minLength: 32, pattern: '^[A-Za-z0-9_\\-.~]+$' })),
  COOKIE_KEYS: Type.Optional(Type.String({ minLength: 32 })),
  KEY_ENCRYPTION_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{43}=?$' })),
  PASSWORD_MIN_LENGTH: Type.Integer({ minimum: 6, maximum: 64, default: 8 }),
  PASSWORD_MAX_LENGTH: Type.Integer({ minimum: 8, maximum: 128, default: 32 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  API_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 600 }),
  // Never below the 5 attempts that lock a password or PIN, so throttling alone never stops a user first.
  LOGIN_THROTTLE_PER_ADDRESS: Type.Integer({ minimum: 5, maximum: 10_000_000, default: 30 }),
  LOGIN_THROTTLE_PER_LOGIN_ID: Type.Integer({ minimum: 5, maximum: 10_000_000, default: 10 }),
  LOGIN_THROTTLE_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
  // Scheduled work (DESIGN §16): false on instances that only serve traffic.
  JOBS: Type.Boolean({ default: true }),
  // Worker processes sharing the listeners (node:cluster, src/cluster.ts); more than 1 needs PostgreSQL.
  WORKERS: Type.Integer({ minimum: 1, maximum: 64, default: 1 }),
  CONSENT_REMINDER_DAYS: Type.Integer({ minimum: 1, maximum: 90, default: 7 }),
  // Transfers (DESIGN §17): how long an application waits for approval, and this bank's 金融機関コード.
  TRANSFER_APPLY_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 720, default: 24 }),
  BANK_CODE: Type.String({ pattern: '^[0-9]{4}$', default: '0310' }),
});

export type Env = Static<typeof EnvSchema>;

/** What the rest of the application receives: parsed, defaulted, frozen. Only server.ts reads process.env. */
export interface Config {
  publicUrl: string;
  /** The resource API's identifier and the access tokens' audience: PUBLIC_URL + /api/v1 (DESIGN §7). */
  apiIdentifier: string;
  mtlsPublicUrl: string;
  host: string;
  port: number;
  mtlsPort: number;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  migrateOnStart: boolean;
  seedDemoData: boolean;
  tls: { certFile: string; keyFile: string } | undefined;
  trustProxy: boolean;
  /** Addresses a TLS-terminating proxy connects from; the only sources whose forwarded headers count. */
  trustedProxies: string[];
  clientCertHeader: string | undefined;
  /** The bank CA from files; undefined: generated on first start and kept in the database. */
  ca: { certFile: string; keyFile: string } | undefined;
  /** Validity of issued user certificates, in days. */
  certValidityDays: number;
  /** Days before a user certificate ends that its holder is mailed 電子証明書更新のご案内, once. */
  certRenewalNoticeDays: number;
  /** PEM bundle of partner CAs the mutual-TLS listener also trusts (RFC 8705 tls_client_auth). */
  partnerCaFile: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  devMailbox: boolean;
  logLevel: string;
  initialAccessToken: string | undefined;
  /** Newest first (Keygrip order). Undefined: server.ts generates and keeps them in DATA_DIR. */
  cookieKeys: string[] | undefined;
  /** 32 bytes. Undefined: server.ts generates and keeps it in DATA_DIR. */
  keyEncryptionKey: Buffer | undefined;
  password: { minLength: number; maxLength: number };
  shutdownGraceMs: number;
  /** Resource API requests per client per minute, per process (429 beyond). */
  apiRateLimitPerMinute: number;
  /**
   * Attempts at a password, PIN or reset code per window, per source address and per login ID, counted
   * per process; 429 beyond. Separate from the lockouts, which the database counts exactly.
   */
  loginThrottle: LoginThrottle;
  /** Whether this instance runs the scheduled sweeps (reminders, expiry, purges) on pg-boss. */
  jobs: boolean;
  /** Worker processes behind the same listeners (1: this process serves alone, no cluster). */
  workers: number;
  /** API連携の有効期限のお知らせ goes out this many days before a grant ends (DESIGN §15). */
  consentReminderDays: number;
  /** A transfer application not approved within this many hours expires (bounded by its designated date). */
  transferApplyTtlHours: number;
  /** This bank's 金融機関コード: beneficiaries with it are credited in the same transaction as the debit. */
  bankCode: string;
}

export interface LoginThrottle { perAddress: number; perLoginId: number; windowMs: number }
