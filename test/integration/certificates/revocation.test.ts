import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { sql } from 'kysely';
import t from 'tap';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { issueUserCertificate } from '../../../src/certificates/issue.ts';
import { currentCrl, revokeCertificate } from '../../../src/certificates/revocation.ts';
import { buildTestApp, TEST_SECRETS } from '../../helpers/build-app.ts';
import { insertCustomer, insertMaster } from '../../helpers/factories.ts';

const run = promisify(execFile);
const { app, database } = await buildTestApp(t);
const { db } = database;
// The CA the application itself uses: the same database and key-encryption key.
const ca = await loadBankCa(db, { keyEncryptionKey: TEST_SECRETS.keyEncryptionKey });
const userId = await insertMaster(db, await insertCustomer(db));
const issue = () => issueUserCertificate(db, ca, { userId, keyProtectionPassword: 'KeyProtect2026x', profile: 'modern', validityDays: 365, crlUrl: 'https://localhost:8443/pki/crl' });
const crlNumber = (crl: x509.X509Crl) => BigInt(`0x${Buffer.from(crl.getExtension('2.5.29.20')!.value).subarray(2).toString('hex')}`);

const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-crl-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('GET /pki/ca.crt serves the issuing CA and the root', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/pki/ca.crt' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/pem-certificate-chain/);
  const certs = x509.PemConverter.decode(res.body).map((d) => new x509.X509Certificate(d));
  t.same(certs.map((c) => c.subject), ca.chain.map((c) => c.subject));
});

t.test('revoking re-signs the CRL: a higher number, the serial listed with its reason, verifiable', async (t) => {
  const kept = await issue();
  const revoked = await issue();
  const first = await app.inject({ method: 'GET', url: '/pki/crl' });
  t.equal(first.statusCode, 200);
  t.equal(first.headers['content-type'], 'application/pkix-crl');
  const before = new x509.X509Crl(first.rawPayload);
  t.equal(before.entries.length, 0, 'nothing revoked yet');
  t.ok(await before.verify({ publicKey: ca.issuing.publicKey }), 'signed by the issuing CA');
  t.same((await app.inject({ method: 'GET', url: '/pki/crl' })).rawPayload, first.rawPayload, 'the stored CRL is served again while nothing changed');

  t.equal(await revokeCertificate(db, ca, { serialNumber: revoked.serialNumber.toUpperCase(), reason: 'superseded' }), true);
  t.equal(await revokeCertificate(db, ca, { serialNumber: revoked.serialNumber, reason: 'superseded' }), false, 'a second revocation changes nothing');
  t.equal(await revokeCertificate(db, ca, { serialNumber: 'abcdef', reason: 'superseded' }), false, 'an unknown serial changes nothing');
  const row = await db.selectFrom('certificates').select(['status', 'revoked_at', 'revoke_reason']).where('id', '=', revoked.id).executeTakeFirstOrThrow();
  t.match(row, { status: 'revoked', revoke_reason: 'superseded' });
  t.ok(row.revoked_at);

  const after = new x509.X509Crl((await app.inject({ method: 'GET', url: '/pki/crl' })).rawPayload);
  t.ok(await after.verify({ publicKey: ca.issuing.publicKey }));
  t.ok(crlNumber(after) > crlNumber(before), 'the CRL number grows');
  t.same(after.entries.map((e) => e.serialNumber), [revoked.serialNumber]);
  t.equal(after.entries[0]!.reason, x509.X509CrlReason.superseded);
  t.ok(after.findRevoked(revoked.certificate));
  t.notOk(after.findRevoked(kept.certificate));

  // OpenSSL reads it (DER) and refuses the revoked certificate against it, not the other.
  const crlFile = path.join(dir, 'crl.der');
  await writeFile(crlFile, Buffer.from(after.rawData));
  const text = await run('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
  t.match(text.stdout, /X509v3 CRL Number/);
  t.match(text.stdout, /Superseded/);
  const pemCrl = path.join(dir, 'crl.pem');
  await writeFile(pemCrl, `${x509.PemConverter.encode(after.rawData, 'X509 CRL')}\n`);
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, ca.chain.map((c) => `${c.toString('pem')}\n`).join(''));
  const leaf = async (c: x509.X509Certificate, name: string) => {
    const f = path.join(dir, name);
    await writeFile(f, `${c.toString('pem')}\n`);
    return f;
  };
  // The root publishes no CRL of its own here, so the check covers the leaf only (crl_check, not crl_check_all).
  const ok = await run('openssl', ['verify', '-crl_check', '-CAfile', caFile, '-CRLfile', pemCrl, await leaf(kept.certificate, 'kept.pem')]);
  t.match(ok.stdout, /OK/);
  await t.rejects(run('openssl', ['verify', '-crl_check', '-CAfile', caFile, '-CRLfile', pemCrl, await leaf(revoked.certificate, 'revoked.pem')]), /certificate revoked/);
});

t.test('a revocation made elsewhere (user deleted) reaches the CRL at the next request', async (t) => {
  const other = await issue();
  const before = new x509.X509Crl(await currentCrl(db, ca));
  await db.updateTable('certificates').set({ status: 'revoked', revoked_at: sql<Date>`now()`, revoke_reason: 'user_deleted' }).where('id', '=', other.id).execute();
  const after = new x509.X509Crl(await currentCrl(db, ca));
  t.ok(crlNumber(after) > crlNumber(before));
  t.equal(after.findRevoked(other.certificate)?.reason, x509.X509CrlReason.cessationOfOperation);
  t.same(Buffer.from(await currentCrl(db, ca)), Buffer.from(after.rawData), 'and then stays as signed');
});

t.test('concurrent revocations each end up in the CRL', async (t) => {
  const many = await Promise.all([issue(), issue(), issue()]);
  await Promise.all(many.map((c) => revokeCertificate(db, ca, { serialNumber: c.serialNumber, reason: 'key_compromise' })));
  const crl = new x509.X509Crl(await currentCrl(db, ca));
  for (const c of many) t.equal(crl.findRevoked(c.certificate)?.reason, x509.X509CrlReason.keyCompromise);
  const stored = await db.selectFrom('certificate_crls').select(['crl_number', 'revoked_count']).executeTakeFirstOrThrow();
  t.equal(stored.revoked_count, crl.entries.length);
});
