import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { createTestDatabase } from '../../helpers/database.ts';
import { insertCustomer, insertMaster } from '../../helpers/factories.ts';

const run = promisify(execFile);
const { db } = await createTestDatabase(t);
const ca = await loadBankCa(db, { keyEncryptionKey: Buffer.alloc(32, 3) });
const customerId = await insertCustomer(db);
const userId = await insertMaster(db, customerId);
const user = await db.selectFrom('users').innerJoin('customers', 'customers.id', 'users.customer_id').select(['login_id', 'customers.name']).where('users.id', '=', userId).executeTakeFirstOrThrow();
const password = 'KeyProtect2026x';
const crlUrl = 'https://localhost:8443/pki/crl';

const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-pfx-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('a user certificate: CN login ID, O customer name, clientAuth, P-256, random serial, recorded; the key is not', async (t) => {
  const issued = await issueUserCertificate(db, ca, { userId, keyProtectionPassword: password, profile: 'modern', validityDays: 365, crlUrl });
  const cert = issued.certificate;
  t.equal(cert.subjectName.getField('CN')[0], user.login_id);
  t.equal(cert.subjectName.getField('O')[0], user.name, 'a Japanese customer name round-trips');
  t.match(cert.subject, /^C=JP, O=.*, CN=\d{10}$/, 'C → O → CN order');
  t.same(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages, [x509.ExtendedKeyUsage.clientAuth]);
  t.equal(cert.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
  t.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  t.match(cert.getExtension(x509.CRLDistributionPointsExtension)?.distributionPoints[0]?.distributionPoint?.fullName?.[0], { uniformResourceIdentifier: crlUrl });
  t.match((cert.publicKey.algorithm as { namedCurve?: string }).namedCurve, 'P-256');
  t.equal(issued.serialNumber.length, 32, '128-bit serial');
  t.ok(parseInt(issued.serialNumber[0]!, 16) < 8, 'positive');
  t.equal(cert.serialNumber, issued.serialNumber);
  const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000;
  t.ok(days > 364.9 && days <= 365, 'valid for CERT_VALIDITY_DAYS');
  t.ok(await cert.verify({ publicKey: ca.issuing.publicKey }), 'signed by the issuing CA');
  const chain = await new x509.X509ChainBuilder({ certificates: ca.chain }).build(cert);
  t.equal(chain.length, 3, 'leaf → issuing CA → root');
  t.equal(issued.fileName, `${user.login_id}.pfx`);

  const row = await db.selectFrom('certificates').selectAll().where('id', '=', issued.id).executeTakeFirstOrThrow();
  t.match(row, { user_id: userId, serial_number: issued.serialNumber, fingerprint_sha256: issued.fingerprintSha256, status: 'issued', revoked_at: null });
  t.equal(row.not_after!.getTime(), cert.notAfter.getTime());
  t.equal(row.not_before!.getTime(), cert.notBefore.getTime());

  const second = await issueUserCertificate(db, ca, { userId, keyProtectionPassword: password, profile: 'modern', validityDays: 30, crlUrl });
  t.not(second.serialNumber, issued.serialNumber, 'every certificate gets its own serial');
  const before = await db.selectFrom('certificates').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  for (const weak of ['Short1pass', 'alllettersonlyhere', '123456789012345', 'KeyProtect2026 x', 'ＫｅｙＰｒｏｔｅｃｔ２０２６']) {
    await t.rejects(issueUserCertificate(db, ca, { userId, keyProtectionPassword: weak, profile: 'modern', validityDays: 30, crlUrl }), { code: 'password_policy' }, `鍵保護パスワード refused: ${weak}`);
  }
  const after = await db.selectFrom('certificates').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(after.n, before.n, 'a refused password issues nothing');
  await t.rejects(issueUserCertificate(db, ca, { userId: '00000000-0000-4000-8000-000000000000', keyProtectionPassword: password, profile: 'modern', validityDays: 30, crlUrl }), { code: 'not_found' });
});

for (const profile of ['modern', 'legacy'] as const) {
  t.test(`the ${profile} PKCS#12 file opens in OpenSSL, Node and NSS with the password, and only with it`, async (t) => {
    const issued = await issueUserCertificate(db, ca, { userId, keyProtectionPassword: password, profile, validityDays: 365, crlUrl });
    const file = path.join(dir, `${profile}.pfx`);
    await writeFile(file, issued.pfx);

    // OpenSSL 3 reads the legacy algorithms only with -legacy.
    const legacy = profile === 'legacy' ? ['-legacy'] : [];
    const info = await run('openssl', ['pkcs12', ...legacy, '-info', '-noout', '-in', file, '-passin', `pass:${password}`]);
    const infoText = info.stdout + info.stderr;
    if (profile === 'modern') {
      t.match(infoText, /MAC: sha256/);
      t.match(infoText, /PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    } else {
      t.match(infoText, /MAC: sha1/);
      t.match(infoText, /pbeWithSHA1And3-KeyTripleDES-CBC/);
    }
    await t.rejects(run('openssl', ['pkcs12', ...legacy, '-info', '-noout', '-in', file, '-passin', 'pass:WrongPassword99']), 'OpenSSL refuses a wrong password');
    const { stdout: leafPem } = await run('openssl', ['pkcs12', ...legacy, '-in', file, '-passin', `pass:${password}`, '-clcerts', '-nokeys']);
    t.same(Buffer.from(new x509.X509Certificate(leafPem.slice(leafPem.indexOf('-----BEGIN'))).rawData), Buffer.from(issued.certificate.rawData), 'the leaf inside is the issued certificate, byte for byte (localKeyId pairs it)');

    t.doesNotThrow(() => createSecureContext({ pfx: issued.pfx, passphrase: password }), 'Node loads it');
    t.throws(() => createSecureContext({ pfx: issued.pfx, passphrase: 'WrongPassword99' }), /mac verify failure/, 'Node refuses a wrong password');

    const nss = await mkdtemp(path.join(dir, `nss-${profile}-`));
    await run('certutil', ['-N', '--empty-password', '-d', `sql:${nss}`]);
    await t.rejects(run('pk12util', ['-i', file, '-d', `sql:${nss}`, '-W', 'WrongPassword99']), 'NSS refuses a wrong password');
    await run('pk12util', ['-i', file, '-d', `sql:${nss}`, '-W', password]);
    const listed = await run('certutil', ['-L', '-d', `sql:${nss}`]);
    t.match(listed.stdout, user.login_id, 'NSS imported the user certificate');
    const keys = await run('certutil', ['-K', '-d', `sql:${nss}`]);
    t.match(keys.stdout, /ec/, 'and its private key');
  });
}
