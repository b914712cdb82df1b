import { Value } from '@sinclair/typebox/value';
import { EnvSchema, type Config, type Env } from './config.schema.ts';

/** Every problem found in the environment, reported together so an operator fixes them in one go. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const KNOWN = new Set(Object.keys(EnvSchema.properties));
/** Values never echoed in error messages: they are secrets or may embed credentials. */
const SECRET = new Set(['DATABASE_URL', 'SMTP_URL', 'INITIAL_ACCESS_TOKEN', 'COOKIE_KEYS', 'KEY_ENCRYPTION_KEY']);

/**
 * Validates the environment against {@link EnvSchema} and derives the {@link Config}.
 * Empty strings count as unset, so `.env` files can list a variable without a value.
 * @throws ConfigError listing every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) {
    if (KNOWN.has(k) && v !== undefined && v.trim() !== '') raw[k] = v.trim();
  }
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw));
  const problems: string[] = [];
  const invalid = new Set<string>();
  for (const err of Value.Errors(EnvSchema, converted)) {
    const name = err.path.slice(1);
    if (invalid.has(name)) continue;
    invalid.add(name);
    const shown = err.value === undefined || SECRET.has(name) ? '' : ` (got ${JSON.stringify(err.value)})`;
    problems.push(`${name}: ${err.message}${shown}`);
  }
  // Cross-field checks run on what is valid, so the operator sees every problem in one report.
  const e = Object.fromEntries(Object.entries(converted as Env).filter(([k]) => !invalid.has(k))) as Env;

  const port = e.PORT ?? 8443;
  const mtlsPort = e.MTLS_PORT ?? 8444;
  const publicUrl = stripSlash(e.PUBLIC_URL ?? `https://localhost:${port}`);
  const mtlsPublicUrl = stripSlash(e.MTLS_PUBLIC_URL ?? `https://localhost:${mtlsPort}`);

  for (const [name, value] of [['PUBLIC_URL', publicUrl], ['MTLS_PUBLIC_URL', mtlsPublicUrl]] as const) {
    if (!URL.canParse(value)) problems.push(`${name}: not a valid URL (got ${JSON.stringify(value)})`);
  }
  if (publicUrl === mtlsPublicUrl) {
    problems.push('MTLS_PUBLIC_URL: must differ from PUBLIC_URL (the mutual-TLS origin is a separate listener)');
  }
  if (e.PORT !== undefined && e.PORT !== 0 && e.PORT === e.MTLS_PORT) problems.push('MTLS_PORT: must differ from PORT');
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    problems.push('TLS_CERT_FILE / TLS_KEY_FILE: set both or neither');
  }
  if ((e.CA_CERT_FILE === undefined) !== (e.CA_KEY_FILE === undefined)) {
    problems.push('CA_CERT_FILE / CA_KEY_FILE: set both or neither');
  }
  if (e.CLIENT_CERT_HEADER !== undefined && !e.TRUST_PROXY) {
    problems.push('CLIENT_CERT_HEADER: only meaningful with TRUST_PROXY=true');
  }
  if (e.TRUST_PROXY && e.TRUSTED_PROXIES === undefined) {
    problems.push('TRUSTED_PROXIES: required with TRUST_PROXY=true (comma-separated proxy addresses)');
  }
  if (e.PASSWORD_MIN_LENGTH !== undefined && e.PASSWORD_MAX_LENGTH !== undefined && e.PASSWORD_MIN_LENGTH > e.PASSWORD_MAX_LENGTH) {
    problems.push('PASSWORD_MIN_LENGTH: must not exceed PASSWORD_MAX_LENGTH');
  }
  // Several workers share one database: the embedded PGlite lives inside one process, and the demo
  // partner's sessions (src/demo/demo-sessions.ts) in one process's memory.
  if ((e.WORKERS ?? 1) > 1 && e.DATABASE_URL === undefined && !invalid.has('DATABASE_URL')) {
    problems.push('WORKERS: more than 1 needs DATABASE_URL (PostgreSQL); the embedded PGlite database lives inside one process');
  }
  if ((e.WORKERS ?? 1) > 1 && e.SEED_DEMO_DATA === true) {
    problems.push('WORKERS: more than 1 cannot serve the demo (SEED_DEMO_DATA=true): its partner sessions live in one process\'s memory');
  }
  const cookieKeys = e.COOKIE_KEYS?.split(',').map((k) => k.trim());
  if (cookieKeys?.some((k) => k.length < 32)) problems.push('COOKIE_KEYS: every key needs at least 32 characters');
  if (problems.length > 0) throw new ConfigError(problems);

  const embedded = e.DATABASE_URL === undefined;
  return Object.freeze({
    publicUrl,
    apiIdentifier: `${publicUrl}/api/v1`,
    mtlsPublicUrl,
    host: e.HOST,
    port,
    mtlsPort,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    migrateOnStart: e.MIGRATE_ON_START,
    // Demo data goes into the embedded database by default, never silently into a real server.
    seedDemoData: e.SEED_DEMO_DATA ?? embedded,
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    trustProxy: e.TRUST_PROXY,
    trustedProxies: e.TRUSTED_PROXIES?.split(',').map((s) => s.trim()).filter(Boolean) ?? [],
    clientCertHeader: e.CLIENT_CERT_HEADER?.toLowerCase(),
    ca: e.CA_CERT_FILE && e.CA_KEY_FILE ? { certFile: e.CA_CERT_FILE, keyFile: e.CA_KEY_FILE } : undefined,
    certValidityDays: e.CERT_VALIDITY_DAYS,
    certRenewalNoticeDays: e.CERT_RENEWAL_NOTICE_DAYS,
    partnerCaFile: e.PARTNER_CA_FILE,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    devMailbox: e.DEV_MAILBOX ?? (e.SMTP_URL === undefined && embedded),
    logLevel: e.LOG_LEVEL,
    initialAccessToken: e.INITIAL_ACCESS_TOKEN,
    cookieKeys,
    keyEncryptionKey: e.KEY_ENCRYPTION_KEY === undefined ? undefined : Buffer.from(e.KEY_ENCRYPTION_KEY, 'base64url'),
    password: { minLength: e.PASSWORD_MIN_LENGTH, maxLength: e.PASSWORD_MAX_LENGTH },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    loginThrottle: { perAddress: e.LOGIN_THROTTLE_PER_ADDRESS, perLoginId: e.LOGIN_THROTTLE_PER_LOGIN_ID, windowMs: e.LOGIN_THROTTLE_WINDOW_SECONDS * 1000 },
    jobs: e.JOBS,
    workers: e.WORKERS,
    consentReminderDays: e.CONSENT_REMINDER_DAYS,
    transferApplyTtlHours: e.TRANSFER_APPLY_TTL_HOURS,
    bankCode: e.BANK_CODE,
  });
}

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
