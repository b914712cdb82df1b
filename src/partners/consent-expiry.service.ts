import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { consentExpiryMail } from './consent-expiry.mail.ts';
import { endGrants } from './grants.service.ts';

/**
 * The end of a 許可期間 (DESIGN §15), as two idempotent sweeps (DESIGN §16) that take the time as a
 * parameter: the scheduler passes the clock, tests pass the day they need.
 */

/** sent_notifications key of API連携の有効期限のお知らせ: one per grant (a new consent is a new grant). */
const REMINDER = { kind: 'consent_expiry_reminder', milestone: 'before_expiry' } as const;
/** Grants read per statement: each statement stays short, whatever is due. */
const BATCH_SIZE = 500;
/** Reminders claimed and written to the outbox per transaction. */
const CLAIM_SIZE = 50;
/** Grants ended per transaction (three statements, one commit); a failure leaves the whole group to the next run. */
const END_GROUP_SIZE = 100;

/**
 * Writes API連携の有効期限のお知らせ to the mail outbox for every active grant that ends within
 * `reminderDays` of `now`, once per grant: each mail is claimed in sent_notifications under the key
 * (reminder, grant) in the same transaction that writes it to mail_outbox, so a rerun, a restart or a
 * second instance running the same sweep finds the claim and writes nothing, and a failure or a crash
 * leaves neither claim nor mail (the next run writes both). The caller hands the stored mail over
 * afterwards (Mailer.deliverStored). A grant whose whole period is shorter than the reminder window is
 * not reminded (the holder consented within it), and a new consent is a new grant with its own period,
 * so it is reminded again when its own end comes near.
 * @returns how many reminders were written
 */
export async function remindExpiringConsents(
  db: Kysely<Database>,
  opts: { now: Date; reminderDays: number; linksUrl: string },
): Promise<number> {
  const windowEnd = new Date(opts.now.getTime() + opts.reminderDays * 86_400_000);
  let sent = 0;
  let after: { expiresAt: Date; id: string } | undefined;
  for (;;) {
    let q = db
      .selectFrom('grants as g')
      .innerJoin('users as u', 'u.id', 'g.user_id')
      .innerJoin('oauth_clients as oc', 'oc.client_id', 'g.client_id')
      .innerJoin('partners as p', 'p.id', 'oc.partner_id')
      .select([
        'g.id', 'g.expires_at', 'u.email', 'u.name', 'p.legal_name',
        sql<string | null>`oc.metadata->>'client_name'`.as('client_name'), 'p.service_name',
      ])
      .where('g.revoked_at', 'is', null)
      .where('g.expires_at', '>', opts.now)
      .where('g.expires_at', '<=', windowEnd)
      .where('g.granted_at', '<', sql<Date>`g.expires_at - make_interval(days => ${opts.reminderDays})`)
      .where('u.deleted_at', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('sent_notifications as s').select('s.subject_id')
        .where('s.kind', '=', REMINDER.kind)
        .where('s.milestone', '=', REMINDER.milestone)
        .whereRef('s.subject_id', '=', sql<string>`g.id::text`))));
    if (after) {
      const a = after;
      q = q.where((eb) => eb(eb.refTuple('g.expires_at', 'g.id'), '>', eb.tuple(a.expiresAt, a.id)));
    }
    const due = await q.orderBy('g.expires_at').orderBy('g.id').limit(BATCH_SIZE).execute();
    for (let i = 0; i < due.length; i += CLAIM_SIZE) {
      const chunk = due.slice(i, i + CLAIM_SIZE);
      sent += await db.transaction().execute(async (trx) => {
        const claimed = new Set((await trx
          .insertInto('sent_notifications')
          .values(chunk.map((g) => ({ ...REMINDER, subject_id: g.id })))
          .onConflict((oc) => oc.doNothing())
          .returning('subject_id')
          .execute()).map((c) => c.subject_id));
        const mails = chunk.filter((g) => claimed.has(g.id)).map((g) => consentExpiryMail({
          to: g.email, userName: g.name, serviceName: g.client_name ?? g.service_name, companyName: g.legal_name,
          expiresAt: g.expires_at, linksUrl: opts.linksUrl,
        }));
        await enqueueMails(trx, mails);
        return mails.length;
      });
    }
    if (due.length < BATCH_SIZE) return sent;
    const last = due[due.length - 1]!;
    after = { expiresAt: last.expires_at, id: last.id };
  }
}

/**
 * Ends every grant whose 許可期間 is over at `now`, the same way as 連携解除 (endGrants, by expiry): the
 * next API call is 401, refresh is invalid_grant, and the ending is audited with reason expiry. endGrants
 * changes only a grant that is still active and due, so two instances (or a new consent landing at the
 * same moment) never end a grant twice or end a renewed one. Grants are ended {@link END_GROUP_SIZE} to a
 * transaction, in the order they are read, so two instances meet on the same first row and never deadlock.
 * @returns how many grants were ended
 */
export async function endExpiredGrants(db: Kysely<Database>, opts: { now: Date }): Promise<number> {
  let ended = 0;
  let after: { expiresAt: Date; id: string } | undefined;
  for (;;) {
    let q = db
      .selectFrom('grants')
      .select(['id', 'expires_at'])
      .where('revoked_at', 'is', null)
      .where('expires_at', '<=', opts.now);
    if (after) {
      const a = after;
      q = q.where((eb) => eb(eb.refTuple('expires_at', 'id'), '>', eb.tuple(a.expiresAt, a.id)));
    }
    const due = await q.orderBy('expires_at').orderBy('id').limit(BATCH_SIZE).execute();
    for (let i = 0; i < due.length; i += END_GROUP_SIZE) {
      const group = due.slice(i, i + END_GROUP_SIZE);
      ended += await endGrants(db, { grantIds: group.map((g) => g.id), by: 'expiry', reason: 'expiry' });
    }
    if (due.length < BATCH_SIZE) return ended;
    const last = due[due.length - 1]!;
    after = { expiresAt: last.expires_at, id: last.id };
  }
}
