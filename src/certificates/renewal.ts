import { sql, type Kysely } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Database } from '../db/database.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { AppError } from '../shared/errors.ts';
import { certificateRenewalMail } from './certificate.mail.ts';
import { issueUserCertificate, isValidKeyProtectionPassword, KEY_PROTECTION_PASSWORD_RULE } from './issue.ts';
import { retrievalUrl } from './orders.ts';
import type { PfxProfile } from './pfx.ts';
import { lockRenewable, type IssueSettings, type RetrievedCertificate } from './retrieval.ts';

/**
 * Renewal (更新, DESIGN §14): CERT_RENEWAL_NOTICE_DAYS before a certificate ends its holder is mailed
 * 電子証明書更新のご案内 with two ways to renew — presenting the current certificate at
 * /certificates/renew on the mutual-TLS origin, or a renewal order retrieved with the previous
 * 証明書取得用パスワード. Either way the new certificate renews the old one, which stays valid until its
 * own expiry or the new one's first login (lifecycle.ts markFirstLogin). A certificate is renewed once.
 */

/** Where a certificate holder renews with the current certificate, on the mutual-TLS origin. */
export const RENEW_PATH = '/certificates/renew';

/** sent_notifications key of 電子証明書更新のご案内: one per certificate. */
const NOTICE = { kind: 'certificate_renewal_notice', milestone: 'before_expiry' } as const;
const BATCH_SIZE = 200;
const CLAIM_SIZE = 50;

/**
 * Sweep (DESIGN §16): for every issued certificate ending within `noticeDays` of `now` that has not been
 * renewed, of an active user whose customer's certificate service is active, writes the notice to the
 * outbox once (claimed in sent_notifications in the same transaction) and, when the certificate came
 * from an order with a 証明書取得用パスワード, opens a renewal order guarded by that same password, open
 * until the certificate ends. The caller hands the stored mail over afterwards.
 * @returns how many notices were written
 */
export async function sendRenewalNotices(
  db: Kysely<Database>,
  opts: { now: Date; noticeDays: number; publicUrl: string; mtlsPublicUrl: string },
): Promise<number> {
  const windowEnd = new Date(opts.now.getTime() + opts.noticeDays * 86_400_000);
  let sent = 0;
  let after: { notAfter: Date; id: string } | undefined;
  for (;;) {
    let q = db
      .selectFrom('certificates as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .innerJoin('customers as cu', 'cu.id', 'u.customer_id')
      .leftJoin('certificate_orders as o', 'o.id', 'c.order_id')
      .select(['c.id', 'c.not_after', 'c.user_id', 'u.login_id', 'u.name', 'u.email', 'u.customer_id', 'o.retrieval_password_hash'])
      .where('c.status', '=', 'issued')
      .where('c.not_after', '>', opts.now)
      .where('c.not_after', '<=', windowEnd)
      .where('u.deleted_at', 'is', null)
      .where('cu.certificate_service_status', '=', 'active')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('certificates as n').select('n.id').whereRef('n.replaces_certificate_id', '=', 'c.id'))))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('sent_notifications as s').select('s.subject_id')
        .where('s.kind', '=', NOTICE.kind)
        .where('s.milestone', '=', NOTICE.milestone)
        .whereRef('s.subject_id', '=', sql<string>`c.id::text`))));
    if (after) {
      const a = after;
      q = q.where((eb) => eb(eb.refTuple('c.not_after', 'c.id'), '>', eb.tuple(a.notAfter, a.id)));
    }
    const due = await q.orderBy('c.not_after').orderBy('c.id').limit(BATCH_SIZE).execute();
    for (let i = 0; i < due.length; i += CLAIM_SIZE) {
      const chunk = due.slice(i, i + CLAIM_SIZE);
      sent += await db.transaction().execute(async (trx) => {
        const claimed = new Set((await trx
          .insertInto('sent_notifications')
          .values(chunk.map((c) => ({ ...NOTICE, subject_id: c.id })))
          .onConflict((oc) => oc.doNothing())
          .returning('subject_id')
          .execute()).map((r) => r.subject_id));
        let written = 0;
        for (const c of chunk.filter((x) => claimed.has(x.id))) {
          let passwordUrl: string | undefined;
          if (c.retrieval_password_hash) {
            // A renewal order guarded by the previous 証明書取得用パスワード; a pending one for the same certificate gives way.
            await trx.updateTable('certificate_orders').set({ status: 'cancelled', cancel_reason: 'replaced', closed_at: opts.now, verified_token_hash: null, verified_until: null })
              .where('renews_certificate_id', '=', c.id).where('status', '=', 'open').execute();
            const order = await trx.insertInto('certificate_orders')
              .values({ user_id: c.user_id, kind: 'renewal', renews_certificate_id: c.id, retrieval_password_hash: c.retrieval_password_hash, expires_at: c.not_after! })
              .returning('id')
              .executeTakeFirstOrThrow();
            passwordUrl = retrievalUrl(opts.publicUrl, order.id);
          }
          await enqueueMails(trx, [certificateRenewalMail({
            to: c.email, userName: c.name, commonName: c.login_id, notAfter: c.not_after!,
            renewWithCertificateUrl: `${opts.mtlsPublicUrl.replace(/\/+$/, '')}${RENEW_PATH}`, renewWithPasswordUrl: passwordUrl,
          })]);
          await recordAudit(trx, { type: 'certificate.renewal_notice_sent', customerId: c.customer_id, subjectUserId: c.user_id, details: { certificateId: c.id, notAfter: c.not_after!.toISOString() } });
          written++;
        }
        return written;
      });
    }
    if (due.length < BATCH_SIZE) return sent;
    const last = due[due.length - 1]!;
    after = { notAfter: last.not_after!, id: last.id };
  }
}

/**
 * Renewal with the current certificate: the caller has checked the presented certificate (chain,
 * validity, database status, holder — certificates/login-check.ts) and passes its id. In one
 * transaction: the old certificate is locked and checked renewable, a renewal order is recorded as
 * issued (keeping the old order's 証明書取得用パスワード for the next renewal), and the new certificate
 * issued; a pending renewal order for the same certificate is cancelled.
 */
export async function renewWithCertificate(
  db: Db,
  settings: IssueSettings,
  input: { certificateId: string; userId: string; keyProtectionPassword: string; profile: PfxProfile; now: Date; context?: RequestContext },
): Promise<RetrievedCertificate> {
  if (!isValidKeyProtectionPassword(input.keyProtectionPassword)) throw new AppError(400, 'password_policy', { message: KEY_PROTECTION_PASSWORD_RULE });
  return inTransaction(db, async (trx) => {
    await lockRenewable(trx, input.certificateId, input.userId, input.now);
    const previous = await trx
      .selectFrom('certificates as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .leftJoin('certificate_orders as o', 'o.id', 'c.order_id')
      .select(['o.retrieval_password_hash', 'u.customer_id', 'u.login_id'])
      .where('c.id', '=', input.certificateId)
      .executeTakeFirstOrThrow();
    await trx.updateTable('certificate_orders').set({ status: 'cancelled', cancel_reason: 'replaced', closed_at: input.now, verified_token_hash: null, verified_until: null })
      .where('renews_certificate_id', '=', input.certificateId).where('status', '=', 'open').execute();
    const order = await trx.insertInto('certificate_orders')
      .values({
        user_id: input.userId, kind: 'renewal', renews_certificate_id: input.certificateId, retrieval_password_hash: previous.retrieval_password_hash,
        status: 'issued', expires_at: input.now, closed_at: input.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const issued = await issueUserCertificate(trx, settings.ca, {
      userId: input.userId, keyProtectionPassword: input.keyProtectionPassword, profile: input.profile,
      validityDays: settings.validityDays, crlUrl: settings.crlUrl, orderId: order.id, replacesCertificateId: input.certificateId, now: input.now,
    });
    await trx.updateTable('certificate_orders').set({ certificate_id: issued.id }).where('id', '=', order.id).execute();
    await recordAudit(trx, {
      type: 'certificate.issued', customerId: previous.customer_id, actorUserId: input.userId, actorLoginId: previous.login_id, subjectUserId: input.userId,
      details: {
        orderId: order.id, kind: 'renewal', via: 'certificate', certificateId: issued.id, serialNumber: issued.serialNumber,
        fingerprint: issued.fingerprintSha256, profile: input.profile, renews: input.certificateId,
      },
      context: input.context,
    });
    return { ...issued, revoked: [] };
  });
}
