import { randomBytes, type X509Certificate } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { BankCa } from '../certificates/bank-ca.ts';
import { markFirstLogin } from '../certificates/lifecycle.ts';
import { checkLoginCertificate, type CertificateCheck, type CertificateHolder, type CertificateRefusal } from '../certificates/login-check.ts';
import type { UserStatus } from '../db/database.ts';
import { inTransaction, type Db } from '../db/transaction.ts';
import { tokenHash, verifySecret } from '../shared/secret-hash.ts';
import { countFailure, MAX_LOGIN_FAILURES } from './password-login.service.ts';

/**
 * How long a handoff from the mutual-TLS origin to the main origin lives: the browser follows the
 * redirect at once, so a minute is plenty and a leaked link is soon worthless.
 */
const HANDOFF_TTL_MS = 60_000;

export type CertificateLoginChannel = 'internet_banking' | 'api_consent';

/**
 * Where the session continues: internet banking in the browser holding `state` (a random value the main
 * origin put in a cookie before sending the browser to certificate login), or one interaction of the
 * consent journey (whose own cookie names it). Either way a handoff link opened in another browser
 * logs nobody in there.
 */
export type HandoffTarget = { purpose: 'internet_banking'; state: string } | { purpose: 'interaction'; interactionUid: string };

export type CertificateLoginRefusal =
  | CertificateRefusal
  /** The certificate is good, the login password is not (counts towards the 5-failure lock). */
  | 'wrong_password'
  | 'password_reset_pending'
  /** First-login setup pending: only internet banking may continue (as with ID and password). */
  | 'setup_required';

export type CertificateLoginResult =
  | { ok: true; holder: CertificateHolder; handoffToken: string }
  | { ok: false; reason: CertificateLoginRefusal; holder?: CertificateHolder | undefined; failuresLeft?: number };

interface Attempt {
  channel: CertificateLoginChannel;
  context?: RequestContext | undefined;
}

/**
 * The holder of the presented certificate, for the screen that asks for the login password. A refusal
 * is audited here (DESIGN §11: every refused login), naming the certificate by its fingerprint and
 * the user when the bank knows them.
 */
export async function identifyCertificateHolder(db: Db, ca: BankCa, certificate: X509Certificate | undefined, attempt: Attempt): Promise<CertificateCheck> {
  const check = await checkLoginCertificate(db, ca, certificate);
  if (!check.ok) await auditRefusal(db, check.reason, check.holder, check.fingerprint, attempt);
  return check;
}

/**
 * Certificate login (DESIGN §14, seed 000 手順1-1): the certificate is checked again (it is presented
 * on every request), then the holder's login password, counted by the same atomic counter as the
 * ID/password login so both paths share the 5-failure lock. On success, in one transaction: the counter
 * resets, the login is audited, the certificate's first login is marked, and a single-use handoff is
 * created for the main origin. The returned token is shown once (in the redirect); only its hash is stored.
 */
export async function loginWithCertificate(
  db: Db,
  ca: BankCa,
  input: Attempt & { certificate: X509Certificate | undefined; password: string; target: HandoffTarget },
): Promise<CertificateLoginResult> {
  const check = await identifyCertificateHolder(db, ca, input.certificate, input);
  if (!check.ok) return { ok: false, reason: check.reason, holder: check.holder as CertificateHolder | undefined };
  const { holder } = check;
  const audit = { customerId: holder.customerId, actorUserId: holder.userId, actorLoginId: holder.loginId, context: input.context };
  const details = { channel: input.channel, method: 'certificate', fingerprint: holder.fingerprint };

  const user = await db.selectFrom('users').select('login_password_hash').where('id', '=', holder.userId).executeTakeFirstOrThrow();
  if (!(await verifySecret(user.login_password_hash, input.password))) {
    const counted = await countFailure(db, holder.userId);
    await recordAudit(db, { ...audit, type: 'login.failure', outcome: 'failure', details: { ...details, reason: 'wrong_password', failures: counted.failures } });
    if (counted.lockedNow) {
      await recordAudit(db, { ...audit, type: 'login.locked', outcome: 'failure', details: { ...details, failures: counted.failures } });
      return { ok: false, reason: 'locked', holder };
    }
    return { ok: false, reason: 'wrong_password', holder, failuresLeft: MAX_LOGIN_FAILURES - counted.failures };
  }
  const refusal = refusalAfterCorrectPassword(holder.status, input.channel);
  if (refusal) {
    await recordAudit(db, { ...audit, type: 'login.failure', outcome: 'failure', details: { ...details, reason: refusal } });
    return { ok: false, reason: refusal, holder };
  }

  return inTransaction(db, async (trx) => {
    // Conditional: a lock that landed since the check (another tab's 5th wrong password) wins.
    const reset = await trx
      .updateTable('users')
      .set({ login_failed_count: 0, last_login_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', holder.userId)
      .where('status', '<>', 'locked')
      .where('deleted_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!reset) {
      await recordAudit(trx, { ...audit, type: 'login.failure', outcome: 'failure', details: { ...details, reason: 'locked' } });
      return { ok: false as const, reason: 'locked' as const, holder };
    }
    await recordAudit(trx, { ...audit, type: 'login.success', details });
    // A renewed certificate's first login retires the one it replaces (DESIGN §14 Renewal).
    await markFirstLogin(trx, holder.certificateId, new Date());
    const handoffToken = await createHandoff(trx, holder, input.target);
    return { ok: true as const, holder, handoffToken };
  });
}

function refusalAfterCorrectPassword(status: UserStatus, channel: CertificateLoginChannel): CertificateLoginRefusal | undefined {
  if (status === 'locked') return 'locked';
  if (status === 'reset_pending') return 'password_reset_pending';
  if (status === 'setup_required' && channel === 'api_consent') return 'setup_required';
  return undefined;
}

async function createHandoff(db: Db, holder: CertificateHolder, target: HandoffTarget): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  // Housekeeping on the way: handoffs nobody can use any more.
  await db.deleteFrom('certificate_login_handoffs').where('expires_at', '<', sql<Date>`now() - interval '1 hour'`).execute();
  await db
    .insertInto('certificate_login_handoffs')
    .values({
      token_hash: tokenHash(token),
      user_id: holder.userId,
      certificate_id: holder.certificateId,
      purpose: target.purpose,
      interaction_uid: target.purpose === 'interaction' ? target.interactionUid : null,
      browser_binding: target.purpose === 'internet_banking' ? tokenHash(target.state) : null,
      expires_at: sql<Date>`now() + make_interval(secs => ${HANDOFF_TTL_MS / 1000})`,
    })
    .execute();
  return token;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface TakenHandoff {
  userId: string;
  certificateId: string;
  status: UserStatus;
}

/**
 * Takes up a handoff on the main origin: one conditional UPDATE marks it consumed only while it is
 * unconsumed, unexpired and for this target, so of two concurrent uses exactly one succeeds, and a
 * replayed link gets nothing. A refused handoff is audited (with its user when the token names one).
 */
export async function takeHandoff(db: Db, token: string | undefined, target: HandoffTarget, context?: RequestContext): Promise<TakenHandoff | undefined> {
  if (!token || !TOKEN.test(token)) return undefined;
  const hash = tokenHash(token);
  const taken = await db
    .updateTable('certificate_login_handoffs')
    .set({ consumed_at: sql<Date>`now()` })
    .where('token_hash', '=', hash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('purpose', '=', target.purpose)
    .where((eb) => (target.purpose === 'interaction'
      ? eb('interaction_uid', '=', target.interactionUid)
      : eb('browser_binding', '=', tokenHash(target.state))))
    .returning(['user_id', 'certificate_id'])
    .executeTakeFirst();
  if (taken) {
    const user = await db.selectFrom('users').select('status').where('id', '=', taken.user_id).where('deleted_at', 'is', null).executeTakeFirst();
    if (user && user.status !== 'locked') return { userId: taken.user_id, certificateId: taken.certificate_id, status: user.status };
  }
  const known = await db
    .selectFrom('certificate_login_handoffs')
    .innerJoin('users', 'users.id', 'certificate_login_handoffs.user_id')
    .select(['users.id', 'users.customer_id', 'users.login_id', 'certificate_login_handoffs.consumed_at'])
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  if (known) {
    await recordAudit(db, {
      type: 'login.failure', outcome: 'failure', customerId: known.customer_id, actorUserId: known.id, actorLoginId: known.login_id, context,
      details: { channel: target.purpose === 'interaction' ? 'api_consent' : 'internet_banking', method: 'certificate', reason: 'handoff_invalid' },
    });
  }
  return undefined;
}

async function auditRefusal(db: Db, reason: CertificateRefusal, holder: Partial<CertificateHolder> | undefined, fingerprint: string | undefined, attempt: Attempt) {
  await recordAudit(db, {
    type: 'login.failure', outcome: 'failure',
    customerId: holder?.customerId ?? null, actorUserId: holder?.userId ?? null, actorLoginId: holder?.loginId ?? null,
    context: attempt.context,
    details: { channel: attempt.channel, method: 'certificate', reason, ...(fingerprint ? { fingerprint } : {}) },
  });
}
