import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import type { BankCa } from './bank-ca.ts';

/** Why a certificate stops being valid; the CRL carries the matching RFC 5280 reason code. */
export type RevocationReason = 'superseded' | 'key_compromise' | 'cessation_of_operation' | 'user_deleted' | 'certificate_service_cancelled' | 'business_id_cancelled';

const CRL_LOCK = 7_365_148;
/** A CRL is valid for two days and re-signed once it is a day old, so relying parties never hold an expired one. */
const CRL_VALIDITY_MS = 2 * 86_400_000;
const CRL_REFRESH_MS = 86_400_000;

/**
 * Revokes an issued certificate and re-signs the CRL in the same transaction (DESIGN §14). The database
 * row is what certificate login checks, so the revocation takes effect at once.
 * @returns false when no issued certificate has that serial (unknown, or already revoked)
 */
export async function revokeCertificate(
  db: Kysely<Database>,
  ca: BankCa,
  input: { serialNumber: string; reason: RevocationReason },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('certificates')
      .set({ status: 'revoked', revoked_at: sql<Date>`now()`, revoke_reason: input.reason })
      .where('serial_number', '=', input.serialNumber.toLowerCase())
      .where('status', '=', 'issued')
      .returning('id')
      .executeTakeFirst();
    if (!revoked) return false;
    await signCrl(trx, ca);
    return true;
  });
}

/**
 * The issuing CA's CRL (DER) as served at /pki/crl. Signed again when it no longer matches the revoked
 * certificates (a revocation made by another path, or a revoked certificate that expired) or is a day
 * old; otherwise the stored one, so every instance serves the same CRL number.
 */
export async function currentCrl(db: Kysely<Database>, ca: BankCa): Promise<Buffer> {
  const stored = await storedCrlIfCurrent(db, ca);
  if (stored) return stored;
  return db.transaction().execute(async (trx) => (await storedCrlIfCurrent(trx, ca, true)) ?? signCrl(trx, ca));
}

async function storedCrlIfCurrent(db: Db, ca: BankCa, lock = false): Promise<Buffer | undefined> {
  if (lock) await sql`select pg_advisory_xact_lock(${sql.lit(CRL_LOCK)})`.execute(db);
  const [crl, listed] = await Promise.all([
    db.selectFrom('certificate_crls').selectAll().where('issuer_sha256', '=', ca.issuerSha256).executeTakeFirst(),
    revokedSummary(db),
  ]);
  if (!crl) return undefined;
  const fresh = crl.this_update.getTime() > Date.now() - CRL_REFRESH_MS;
  const same = crl.revoked_count === listed.count && crl.last_revoked_at?.getTime() === listed.last?.getTime();
  return fresh && same ? Buffer.from(crl.der) : undefined;
}

/** What the CRL lists: revoked certificates that were issued and have not expired yet. */
function revokedCertificates(db: Db) {
  return db
    .selectFrom('certificates')
    .where('status', '=', 'revoked')
    .where('fingerprint_sha256', 'is not', null)
    .where('not_after', '>', sql<Date>`now()`);
}

async function revokedSummary(db: Db): Promise<{ count: number; last: Date | undefined }> {
  const r = await revokedCertificates(db)
    .select((eb) => [eb.fn.countAll<string>().as('count'), eb.fn.max('revoked_at').as('last')])
    .executeTakeFirstOrThrow();
  return { count: Number(r.count), last: r.last ?? undefined };
}

/** Signs a new CRL with the next number and keeps it; the caller holds a transaction. */
async function signCrl(trx: Db, ca: BankCa): Promise<Buffer> {
  await sql`select pg_advisory_xact_lock(${sql.lit(CRL_LOCK)})`.execute(trx);
  const [previous, entries] = await Promise.all([
    trx.selectFrom('certificate_crls').select('crl_number').where('issuer_sha256', '=', ca.issuerSha256).executeTakeFirst(),
    revokedCertificates(trx).select(['serial_number', 'revoked_at', 'revoke_reason']).orderBy('revoked_at').execute(),
  ]);
  const crlNumber = BigInt(previous?.crl_number ?? 0) + 1n;
  const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.issuing.subjectName,
    thisUpdate,
    nextUpdate,
    signingAlgorithm: ca.signingAlgorithm,
    signingKey: ca.signingKey,
    entries: entries.map((e) => ({ serialNumber: e.serial_number, revocationDate: e.revoked_at ?? thisUpdate, reason: crlReason(e.revoke_reason) })),
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(ca.issuing.publicKey),
      // cRLNumber (RFC 5280 §5.2.3) has no helper class: its value is a DER INTEGER.
      new x509.Extension('2.5.29.20', false, derInteger(crlNumber)),
    ],
  });
  const der = Buffer.from(crl.rawData);
  const last = entries.reduce<Date | null>((m, e) => (e.revoked_at && (!m || e.revoked_at > m) ? e.revoked_at : m), null);
  const row = { crl_number: crlNumber.toString(), der, this_update: thisUpdate, next_update: nextUpdate, revoked_count: entries.length, last_revoked_at: last };
  await trx
    .insertInto('certificate_crls')
    .values({ issuer_sha256: ca.issuerSha256, ...row })
    .onConflict((oc) => oc.column('issuer_sha256').doUpdateSet(row))
    .execute();
  return der;
}

function crlReason(reason: string | null): x509.X509CrlReason {
  switch (reason) {
    case 'superseded':
      return x509.X509CrlReason.superseded;
    case 'key_compromise':
      return x509.X509CrlReason.keyCompromise;
    default:
      // Deleted users, cancelled services: the certificate is simply no longer needed.
      return x509.X509CrlReason.cessationOfOperation;
  }
}

function derInteger(n: bigint): ArrayBuffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let body = Buffer.from(hex, 'hex');
  if (body[0]! & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  const der = Buffer.concat([Buffer.from([0x02, body.length]), body]);
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.length) as ArrayBuffer;
}
