import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import t from 'tap';
import { runCli } from '../../../src/cli.ts';
import { loadBankCa } from '../../../src/certificates/bank-ca.ts';
import { subjectIs } from '../../../src/certificates/distinguished-name.ts';
import { certificateThumbprint } from '../../../src/certificates/from-request.ts';
import { DEMO_PARTNER } from '../../../src/db/seed/demo-data.ts';
import { seedDemoData } from '../../../src/db/seed/seed.ts';
import { createTestDatabase } from '../../helpers/database.ts';

// `npm run cli -- partners certificate --partner <name> --out <file>.pfx` (DESIGN §14): a sandbox client
// certificate for a partner, from the bank CA, written as PKCS#12 with a password shown once.
t.setTimeout(120_000);
const run = promisify(execFile);
const { db } = await createTestDatabase(t);
await seedDemoData(db, { today: '2026-11-20' });
const kek = Buffer.alloc(32, 9);
const dir = await mkdtemp(path.join(os.tmpdir(), 'renkei-partner-cert-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const bankCa = await loadBankCa(db, { keyEncryptionKey: kek });

async function cli(...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runCli(argv, db, async () => kek, (l) => lines.push(l));
  return lines;
}

/** The leaf and the key inside a PKCS#12 file, as OpenSSL reads them. */
async function openPfx(file: string, password: string, extra: string[] = []) {
  const pass = ['-passin', `pass:${password}`];
  const info = await run('openssl', ['pkcs12', '-in', file, '-info', '-noout', ...pass, ...extra]);
  const leaf = await run('openssl', ['pkcs12', '-in', file, '-clcerts', '-nokeys', ...pass, ...extra]);
  const key = await run('openssl', ['pkcs12', '-in', file, '-nocerts', '-nodes', ...pass, ...extra]);
  return { info: info.stderr + info.stdout, leaf: new X509Certificate(leaf.stdout), key: createPrivateKey(key.stdout.slice(key.stdout.indexOf('-----BEGIN'))) };
}

t.test('issues a PKCS#12 file the partner can use, and prints what to register and its password', async (t) => {
  const file = path.join(dir, 'kakeibo.pfx');
  const lines = await cli('partners', 'certificate', '--partner', DEMO_PARTNER.serviceName, '--out', file);
  const text = lines.join('\n');
  t.match(text, `written to ${file}`);
  const dn = /tls_client_auth_subject_dn: (.+)$/m.exec(text)?.[1];
  t.equal(dn, `CN=${DEMO_PARTNER.serviceName},O=${DEMO_PARTNER.legalName},C=JP`, 'the subject DN to register (RFC 4514)');
  t.match(text, /token_endpoint_auth_method=tls_client_auth/);
  t.match(lines.at(-2), /password \(shown once\)/);
  const password = lines.at(-1)!;
  t.match(password, /^[A-Za-z0-9]{20}$/, 'a generated password of 20 letters and digits');
  t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by its owner only');

  const { info, leaf, key } = await openPfx(file, password);
  t.match(info, /MAC: sha256/, 'modern profile: SHA-256 MAC');
  t.match(info, /AES-256-CBC/, 'AES-256 encryption');
  t.ok(subjectIs(leaf.raw, dn!), 'the leaf carries that DN');
  t.match(leaf.subject, `CN=${DEMO_PARTNER.serviceName}`);
  t.match(leaf.subject, `O=${DEMO_PARTNER.legalName}`);
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'EKU clientAuth only');
  t.notOk(leaf.ca);
  const issuing = new X509Certificate(Buffer.from(bankCa.issuing.rawData));
  t.ok(leaf.checkIssued(issuing) && leaf.verify(issuing.publicKey), 'issued by the bank’s issuing CA');
  t.ok(leaf.checkPrivateKey(key), 'the key in the file belongs to the certificate');
  t.equal(createPublicKey(key).asymmetricKeyDetails?.namedCurve, 'prime256v1', 'ECDSA P-256');
  const days = (new Date(leaf.validTo).getTime() - Date.now()) / 86_400_000;
  t.ok(days > 364 && days < 366, `valid 365 days by default (${days.toFixed(1)})`);
  t.match(text, `(x5t#S256 of its bound tokens) ${certificateThumbprint(leaf)}`, 'the thumbprint its tokens will carry');

  const pfx = await readFile(file);
  t.ok(tls.createSecureContext({ pfx, passphrase: password }), 'Node’s TLS stack loads it');
  t.throws(() => tls.createSecureContext({ pfx, passphrase: 'wrong-password-1' }), /mac verify failure/i, 'not with another password');

  const audit = await db.selectFrom('audit_events').select('details').where('type', '=', 'partner.certificate_issued').execute();
  t.equal(audit.length, 1);
  t.match(audit[0]!.details, { subjectDn: dn, fingerprintSha256: /^[0-9a-f]{64}$/ });
  t.notMatch(JSON.stringify(audit), password, 'the password is not recorded');
  t.notOk(await db.selectFrom('certificates').select('id').executeTakeFirst(), 'not a user certificate: certificate login never finds it');
});

t.test('--days and --legacy', async (t) => {
  const file = path.join(dir, 'legacy.pfx');
  const lines = await cli('partners', 'certificate', '--partner', DEMO_PARTNER.serviceName, '--out', file, '--days', '30', '--legacy');
  const { info, leaf } = await openPfx(file, lines.at(-1)!, ['-legacy']);
  t.match(info, /MAC: sha1/, 'legacy profile: SHA-1 MAC');
  t.match(info, /3DES|TripleDES/i);
  const days = (new Date(leaf.validTo).getTime() - Date.now()) / 86_400_000;
  t.ok(days > 29 && days < 31, `valid 30 days (${days.toFixed(1)})`);
});

t.test('refusals', async (t) => {
  const existing = path.join(dir, 'existing.pfx');
  await writeFile(existing, 'keep me');
  await t.rejects(cli('partners', 'certificate', '--partner', DEMO_PARTNER.serviceName, '--out', existing), /exists: name a new file/, 'never overwrites a file');
  t.equal(await readFile(existing, 'utf8'), 'keep me');
  await t.rejects(cli('partners', 'certificate', '--partner', DEMO_PARTNER.serviceName), /--out <file>\.pfx is required/);
  await t.rejects(cli('partners', 'certificate', '--partner', DEMO_PARTNER.serviceName, '--out', path.join(dir, 'x.pem')), /--out <file>\.pfx/);
  await t.rejects(cli('partners', 'certificate', '--partner', 'nobody', '--out', path.join(dir, 'n.pfx')), /no partner nobody/);
  await t.rejects(cli('partners', 'certificate', '--out', path.join(dir, 'n.pfx')), /--partner is required/);
  for (const days of ['0', '826', 'x']) {
    await t.rejects(cli('partners', 'certificate', '--partner', DEMO_PARTNER.serviceName, '--out', path.join(dir, `d${days}.pfx`), '--days', days), /--days must be an integer from 1 to 825/);
  }
  const { id } = await db.insertInto('partners').values({ legal_name: '株式会社 停止中', service_name: '停止中アプリ', status: 'suspended' }).returning('id').executeTakeFirstOrThrow();
  await t.rejects(cli('partners', 'certificate', '--partner', id, '--out', path.join(dir, 's.pfx')), /is not active/);
  await t.rejects(stat(path.join(dir, 's.pfx')), { code: 'ENOENT' }, 'no file left behind');
  t.equal((await db.selectFrom('audit_events').select('id').where('type', '=', 'partner.certificate_issued').execute()).length, 2, 'and nothing issued by a refused command');
  t.match((await cli('partners', 'help').catch((e: Error) => [e.message])).join('\n'), /partners certificate --partner/, 'listed in the usage');
});
