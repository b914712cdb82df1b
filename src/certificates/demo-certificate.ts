import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { BankCa } from './bank-ca.ts';
import { issueUserCertificate } from './issue.ts';
import { revokeCertificate } from './revocation.ts';

/**
 * The demo certificate customer's client certificate (DESIGN §9): `DATA_DIR/demo-certificates/<loginId>.pfx`
 * with the demo's 鍵保護パスワード, and `<loginId>.crt` beside it (the certificate alone, public), which
 * tells a later start whether the file still matches an issued certificate of this database. Kept while it
 * does; otherwise (first start, a new database or CA, a revoked or expiring certificate) issued again, the
 * user's earlier certificates being revoked as superseded. Undefined when the demo user does not exist.
 */
export async function ensureDemoCertificate(
  db: Kysely<Database>,
  ca: BankCa,
  opts: { dataDir: string; loginId: string; keyProtectionPassword: string; crlUrl: string; validityDays: number },
): Promise<string | undefined> {
  const user = await db.selectFrom('users').select('id').where('login_id', '=', opts.loginId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!user) return undefined;
  const dir = path.join(opts.dataDir, 'demo-certificates');
  const pfxPath = path.join(dir, `${opts.loginId}.pfx`);
  const crtPath = path.join(dir, `${opts.loginId}.crt`);
  if (await stillIssued(db, user.id, pfxPath, crtPath)) return pfxPath;

  const earlier = await db.selectFrom('certificates').select('serial_number').where('user_id', '=', user.id).where('status', '=', 'issued').execute();
  for (const e of earlier) await revokeCertificate(db, ca, { serialNumber: e.serial_number, reason: 'superseded' });
  const issued = await issueUserCertificate(db, ca, {
    userId: user.id, keyProtectionPassword: opts.keyProtectionPassword, profile: 'modern', validityDays: opts.validityDays, crlUrl: opts.crlUrl,
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written under another name and renamed: a reader never sees half a file.
  await writeFile(`${pfxPath}.tmp`, issued.pfx, { mode: 0o600 });
  await rename(`${pfxPath}.tmp`, pfxPath);
  await writeFile(crtPath, `${issued.certificate.toString('pem')}\n`, { mode: 0o644 });
  return pfxPath;
}

/** Whether the kept file's certificate is issued to this user, unrevoked and more than a day from expiry. */
async function stillIssued(db: Kysely<Database>, userId: string, pfxPath: string, crtPath: string): Promise<boolean> {
  let fingerprint: string;
  try {
    await readFile(pfxPath);
    fingerprint = createHash('sha256').update(new X509Certificate(await readFile(crtPath)).raw).digest('hex');
  } catch {
    return false;
  }
  const row = await db
    .selectFrom('certificates')
    .select('id')
    .where('user_id', '=', userId)
    .where('fingerprint_sha256', '=', fingerprint)
    .where('status', '=', 'issued')
    .where('not_after', '>', sql<Date>`now() + interval '1 day'`)
    .executeTakeFirst();
  return row !== undefined;
}
