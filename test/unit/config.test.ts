import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';

t.test('an empty environment gives the embedded demo defaults', async (t) => {
  const c = loadConfig({});
  t.equal(c.publicUrl, 'https://localhost:8443');
  t.equal(c.mtlsPublicUrl, 'https://localhost:8444');
  t.equal(c.host, '127.0.0.1');
  t.equal(c.port, 8443);
  t.equal(c.mtlsPort, 8444);
  t.equal(c.databaseUrl, undefined);
  t.equal(c.dataDir, './data');
  t.equal(c.migrateOnStart, true);
  t.equal(c.seedDemoData, true, 'demo data on the embedded database');
  t.equal(c.devMailbox, true, 'dev mailbox on without SMTP');
  t.same(c.password, { minLength: 8, maxLength: 32 });
  t.ok(Object.isFrozen(c));
});

t.test('values are converted to their types and trailing slashes dropped', async (t) => {
  const c = loadConfig({
    PUBLIC_URL: 'https://bank.example/', MTLS_PUBLIC_URL: 'https://mtls.bank.example', PORT: '9443', MTLS_PORT: '9444',
    MIGRATE_ON_START: 'false', DATABASE_URL: 'postgres://u@db:5432/renkei', TRUST_PROXY: 'true',
    TRUSTED_PROXIES: '10.0.0.1, 10.0.0.2', CLIENT_CERT_HEADER: 'Client-Cert', COOKIE_KEYS: `${'a'.repeat(32)},${'b'.repeat(40)}`,
    KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64url'), LOG_LEVEL: 'warn',
  });
  t.equal(c.publicUrl, 'https://bank.example');
  t.equal(c.port, 9443);
  t.equal(c.migrateOnStart, false);
  t.equal(c.seedDemoData, false, 'never demo data into a real server unless asked');
  t.equal(c.devMailbox, false);
  t.same(c.trustedProxies, ['10.0.0.1', '10.0.0.2']);
  t.equal(c.clientCertHeader, 'client-cert');
  t.same(c.cookieKeys, ['a'.repeat(32), 'b'.repeat(40)]);
  t.equal(c.keyEncryptionKey?.length, 32);
});

t.test('empty strings count as unset', async (t) => {
  const c = loadConfig({ DATABASE_URL: '', PORT: '  ' });
  t.equal(c.databaseUrl, undefined);
  t.equal(c.port, 8443);
});

t.test('every problem is reported at once, secrets never echoed', async (t) => {
  const err = t.throws(() =>
    loadConfig({
      PORT: 'eighty', LOG_LEVEL: 'loud', PUBLIC_URL: 'http://insecure.example', DATABASE_URL: 'mysql://root:hunter2@db',
      TLS_CERT_FILE: '/x.crt', KEY_ENCRYPTION_KEY: 'too-short-secret', PASSWORD_MIN_LENGTH: '40', PASSWORD_MAX_LENGTH: '20',
      CLIENT_CERT_HEADER: 'Client-Cert', COOKIE_KEYS: 'short-cookie-key-but-over-32-chars,x'.padEnd(33, 'x'),
    }),
  ) as ConfigError;
  t.type(err, ConfigError);
  const text = err.problems.join('\n');
  for (const name of ['PORT', 'LOG_LEVEL', 'PUBLIC_URL', 'DATABASE_URL', 'TLS_CERT_FILE', 'KEY_ENCRYPTION_KEY', 'PASSWORD_MIN_LENGTH', 'CLIENT_CERT_HEADER']) {
    t.match(text, name, `reports ${name}`);
  }
  t.notMatch(text, 'hunter2', 'the database password is not echoed');
  t.notMatch(text, 'too-short-secret', 'the key is not echoed');
  t.match(text, '"eighty"', 'non-secret values are shown');
});

t.test('cross-field rules', async (t) => {
  t.throws(() => loadConfig({ PORT: '9000', MTLS_PORT: '9000' }), /MTLS_PORT/);
  t.throws(() => loadConfig({ PUBLIC_URL: 'https://a.example', MTLS_PUBLIC_URL: 'https://a.example' }), /MTLS_PUBLIC_URL/);
  t.throws(() => loadConfig({ TRUST_PROXY: 'true' }), /TRUSTED_PROXIES/);
  t.throws(() => loadConfig({ COOKIE_KEYS: `${'a'.repeat(32)},short` }), /COOKIE_KEYS/);
  t.throws(() => loadConfig({ TLS_KEY_FILE: '/k' }), /TLS_CERT_FILE/);
});
