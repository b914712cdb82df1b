import { randomInt } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { recordAudit, type RequestContext } from '../audit/audit.repository.ts';
import type { Database, LoginMethod } from '../db/database.ts';
import type { Db } from '../db/transaction.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { enqueueMails } from '../mail/outbox.repository.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { revokeGrantsOfUsers } from '../partners/grants.service.ts';
import { endIbSessionsOfUsers } from '../auth/ib-sessions.repository.ts';
import { issueLoginReset, RESET_CODE_TTL_MINUTES } from '../auth/passwords.service.ts';
import { mayMakeChange, type Actor } from './actor.ts';
import { isCertificateOrderInput, placeCertificateOrders, revokeAllCertificatesOfCustomer, type CertificateOrderInput } from './certificate-orders.ts';
import { lockCorporateWithBusinessId } from './customers.repository.ts';
import { countGroups } from './groups.repository.ts';
import { assertConsistent, assertGroupFits, checkGroupName, createGroup, readGroup, updateGroup } from './groups.service.ts';
import type { GroupPermissions } from './permissions.ts';
import { retireUsers } from './user-retirement.ts';
import { countMembers } from './users.repository.ts';
import { assertUsersFit, createUser, MAX_USERS_PER_CUSTOMER } from './users.service.ts';

/**
 * The changes of seed 003 §2–§4, each checked twice: when entered (so the confirmation screen only
 * shows a change that can be made) and again inside the confirming transaction (the world may have
 * changed in between). Group-administrator restrictions (seed §3-2 注, §3-3 注, §4-2 注, §4-3 注) apply
 * to every actor who is not the master user.
 */
export type Change =
  | { kind: 'group.create'; payload: { name: string; permissions: GroupPermissions } }
  | { kind: 'group.update'; payload: { groupId: string; version: number; name: string; permissions: GroupPermissions } }
  | { kind: 'group.delete'; payload: { groupIds: string[] } }
  | { kind: 'user.create'; payload: { users: { name: string; email: string; groupId: string; certificate?: CertificateOrderInput }[] } }
  | { kind: 'user.update'; payload: { users: { userId: string; version: number; name: string; email: string; groupId: string | null; certificate?: CertificateOrderInput }[] } }
  | { kind: 'user.delete'; payload: { userIds: string[] } }
  | { kind: 'password.login_reset'; payload: { userIds: string[] } }
  | { kind: 'password.transaction_reset'; payload: { userIds: string[] } }
  | { kind: 'business_id.apply'; payload: { certificate: boolean } }
  | { kind: 'business_id.cancel'; payload: Record<string, never> }
  | { kind: 'certificate_service.cancel'; payload: Record<string, never> }
  | { kind: 'certificate_service.apply'; payload: Record<string, never> }
  | { kind: 'login_method.change'; payload: { method: LoginMethod } }
  | { kind: 'certificate.order_master'; payload: { certificate: CertificateOrderInput } };

export type ChangeKind = Change['kind'];

const CHANGE_KINDS = {
  'group.create': true, 'group.update': true, 'group.delete': true, 'user.create': true, 'user.update': true, 'user.delete': true,
  'password.login_reset': true, 'password.transaction_reset': true, 'business_id.apply': true, 'business_id.cancel': true,
  'certificate_service.cancel': true, 'certificate_service.apply': true, 'login_method.change': true, 'certificate.order_master': true,
} satisfies Record<ChangeKind, true>;

function isChangeKind(kind: string): kind is ChangeKind {
  return Object.hasOwn(CHANGE_KINDS, kind);
}

/**
 * A stored change (pending_changes) as the rules read it. Its payload was written by `proposeChange` from a
 * change that passed {@link checkChange}, and its subject hash is verified when it is loaded, so only the
 * kind needs checking here.
 */
export function storedChange(stored: { kind: string; payload: unknown }): Change {
  if (!isChangeKind(stored.kind)) throw new AppError(410, 'change_expired');
  return { kind: stored.kind, payload: stored.payload } as Change;
}

export interface ApplyContext {
  actor: Actor;
  codeKey: Buffer;
  publicUrl: string;
  context?: RequestContext;
}

export interface ApplyResult {
  /** The change's mails, written to the outbox in the confirming transaction (delivered after the commit). */
  mailIds: string[];
  /** For the completion screen: new users' login IDs, counts. */
  summary: Record<string, unknown>;
}

/** The longest user name, counted after trimming. */
export const MAX_USER_NAME_LENGTH = 60;
/** The longest mail address (RFC 5321 §4.5.3.1.3 path limit less the brackets). */
export const MAX_EMAIL_LENGTH = 254;
/** The most rows one change may select: every member plus the master. */
const MAX_SELECTION = MAX_USERS_PER_CUSTOMER + 1;

/** Seed 003 §4-1: addresses as the seed's screens take them; a pragmatic check, not RFC 5322. */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

function assertUserFields(u: { name: string; email: string }, row: number): void {
  const name = u.name.trim();
  if (name.length === 0 || name.length > MAX_USER_NAME_LENGTH) {
    throw new AppError(400, 'invalid_parameter', {
      message: { ja: `${row}行目: ユーザー名は1〜${MAX_USER_NAME_LENGTH}文字で入力してください。`, en: `Row ${row}: the user name must be 1 to ${MAX_USER_NAME_LENGTH} characters.` },
    });
  }
  const email = u.email.trim();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) {
    throw new AppError(400, 'invalid_parameter', { message: { ja: `${row}行目: メールアドレスが正しくありません。`, en: `Row ${row}: the mail address is invalid.` } });
  }
}

const forbidden = () => new AppError(403, 'forbidden');

/** Seed 003 §2-3: 電子証明書 解約 comes before ビジネスID管理 解約 (the seed's sentence, then what to do). */
const certificateServiceStillActive = () => new AppError(409, 'certificate_service_active', {
  message: {
    ja: '電子証明書を利用中の場合、電子証明書を解約後、ビジネスID管理の解約となります。電子証明書サービスを解約してから、ビジネスID管理を解約してください。',
    en: 'While client certificates are in use, the certificate service is cancelled first: cancel it before cancelling Business ID management.',
  },
});

/** 電子証明書発行（再発行） and ログイン方法「電子証明書」 exist only while the certificate service is active (seed 003 §2-2, §4-1). */
const certificateServiceInactive = () => new AppError(409, 'conflict', {
  message: {
    ja: '電子証明書をお申込みいただいていません。お客さま情報（申込・設定）の登録情報から電子証明書をお申込みください。',
    en: 'The certificate service is not active. Apply for it in Customer information (applications and settings).',
  },
});

/** The ordering rows of ユーザー登録・編集: only with the certificate service, only a hash kept (certificate-orders.ts). */
function assertCertificateOrders(actor: Actor, rows: { certificate?: unknown }[]): void {
  if (!rows.some((r) => r.certificate !== undefined)) return;
  if (!actor.certificateServiceActive) throw certificateServiceInactive();
  if (!rows.every((r) => r.certificate === undefined || isCertificateOrderInput(r.certificate))) throw new AppError(400, 'invalid_parameter');
}

/**
 * An edit whose form showed a version of the row that is no longer current: another administrator
 * changed it in between, and applying this form would silently undo that change.
 */
const editConflict = () => new AppError(409, 'conflict', {
  message: { ja: '他の管理者がこの内容を変更しました。最新の内容を確認してください。', en: 'Another administrator has changed this. Check the latest content.' },
});

/**
 * Row-locks the rows an edit form showed (SELECT … FOR UPDATE, in the confirming transaction) and refuses
 * when any changed since: the version compared here is the one the write then bumps, so two confirmations
 * of forms shown at the same version cannot both succeed.
 */
async function lockShownVersions(trx: Transaction<Database>, customerId: string, change: Change): Promise<void> {
  if (change.kind === 'group.update') {
    const row = await trx.selectFrom('groups').select('version').where('id', '=', change.payload.groupId).where('customer_id', '=', customerId).forUpdate().executeTakeFirst();
    if (row && row.version !== change.payload.version) throw editConflict();
  } else if (change.kind === 'user.update') {
    const ids = change.payload.users.map((u) => u.userId);
    const rows = await trx.selectFrom('users').select(['id', 'version']).where('id', 'in', ids).where('customer_id', '=', customerId).orderBy('id').forUpdate().execute();
    const changed = change.payload.users.some((u) => {
      const row = rows.find((r) => r.id === u.userId);
      return row !== undefined && row.version !== u.version;
    });
    if (changed) throw editConflict();
  }
}

function assertIds(ids: string[]): void {
  if (ids.length === 0) {
    throw new AppError(400, 'invalid_parameter', { message: { ja: '対象を選択してください。', en: 'Select at least one item.' } });
  }
  if (ids.length > MAX_SELECTION || !ids.every(isUuid)) throw new AppError(400, 'invalid_parameter');
}

/** The members (never the master) among `ids`, all of this customer and not deleted; 404 for any other id. */
async function membersOf(db: Db, customerId: string, ids: string[], opts: { allowMaster?: boolean } = {}) {
  assertIds(ids);
  const rows = await db
    .selectFrom('users')
    .select(['id', 'role', 'login_id', 'name', 'email', 'group_id', 'status', 'version'])
    .where('customer_id', '=', customerId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null)
    .execute();
  if (rows.length !== new Set(ids).size) throw new AppError(404, 'not_found');
  if (!opts.allowMaster && rows.some((r) => r.role === 'master')) throw new AppError(403, 'master_protected');
  return rows;
}

async function groupHasUserAdmin(db: Db, customerId: string, groupId: string): Promise<boolean> {
  const g = await db.selectFrom('groups').select('user_admin').where('id', '=', groupId).where('customer_id', '=', customerId).executeTakeFirst();
  if (!g) throw new AppError(400, 'invalid_parameter', { message: { ja: '指定されたグループは存在しません。', en: 'The group does not exist.' } });
  return g.user_admin;
}

async function assertNameFree(db: Db, customerId: string, name: string, exceptGroupId?: string): Promise<void> {
  let q = db.selectFrom('groups').select('id').where('customer_id', '=', customerId).where('name', '=', name.trim());
  if (exceptGroupId && isUuid(exceptGroupId)) q = q.where('id', '<>', exceptGroupId);
  if (await q.executeTakeFirst()) throw new AppError(409, 'group_name_taken');
}

/** Every rule that does not need the row lock; throws the first violation. Runs at entry and at confirmation. */
export async function checkChange(db: Db, actor: Actor, change: Change): Promise<void> {
  if (!mayMakeChange(actor, change.kind)) throw forbidden();
  const isMaster = actor.role === 'master';
  switch (change.kind) {
    case 'group.create':
      checkGroupName(change.payload.name);
      assertConsistent(change.payload.permissions);
      assertGroupFits(await countGroups(db, actor.customerId));
      await assertNameFree(db, actor.customerId, change.payload.name);
      return;
    case 'group.update': {
      checkGroupName(change.payload.name);
      assertConsistent(change.payload.permissions);
      await assertNameFree(db, actor.customerId, change.payload.name, change.payload.groupId);
      const current = await readGroup(db, actor.customerId, change.payload.groupId);
      if (!current) throw new AppError(404, 'not_found');
      // Seed §3-2 注(1): a group administrator cannot take グループ・ユーザー権限設定 away from their own group.
      if (!isMaster && actor.groupId === current.id && !change.payload.permissions.other.userAdmin) {
        throw new AppError(403, 'self_protection', {
          message: { ja: 'ご自身が所属するグループの「グループ・ユーザー権限設定」を不可に変更することはできません。', en: 'You cannot remove group and user administration from your own group.' },
        });
      }
      if (current.version !== change.payload.version) throw editConflict();
      return;
    }
    case 'group.delete': {
      assertIds(change.payload.groupIds);
      const found = await db.selectFrom('groups').select('id').where('customer_id', '=', actor.customerId).where('id', 'in', change.payload.groupIds).execute();
      if (found.length !== new Set(change.payload.groupIds).size) throw new AppError(404, 'not_found');
      // Seed §3-3 注(1).
      if (!isMaster && actor.groupId !== null && change.payload.groupIds.includes(actor.groupId)) {
        throw new AppError(403, 'self_protection', { message: { ja: 'ご自身が所属するグループは削除できません。', en: 'You cannot delete your own group.' } });
      }
      return;
    }
    case 'user.create': {
      const users = change.payload.users;
      if (users.length === 0) throw new AppError(400, 'invalid_parameter', { message: { ja: '登録するユーザーを入力してください。', en: 'Enter at least one user.' } });
      assertUsersFit(await countMembers(db, actor.customerId), users.length);
      users.forEach((u, i) => assertUserFields(u, i + 1));
      assertCertificateOrders(actor, users);
      for (const u of users) {
        if (!isUuid(u.groupId)) throw new AppError(400, 'invalid_parameter', { message: { ja: '所属グループを選択してください。', en: 'Choose a group.' } });
        await groupHasUserAdmin(db, actor.customerId, u.groupId);
      }
      return;
    }
    case 'user.update': {
      const users = change.payload.users;
      const rows = await membersOf(db, actor.customerId, users.map((u) => u.userId), { allowMaster: true });
      assertCertificateOrders(actor, users);
      for (const [i, u] of users.entries()) {
        assertUserFields(u, i + 1);
        const row = rows.find((r) => r.id === u.userId)!;
        if (row.role === 'master') {
          // The master's mail receives the master's メールトークン: only the master may change it, and the master has no group.
          if (!isMaster) throw new AppError(403, 'master_protected');
          if (u.groupId !== null) throw new AppError(400, 'invalid_parameter', { message: { ja: '取引責任者はグループに所属できません。', en: 'The master user has no group.' } });
          continue;
        }
        if (u.groupId === null || !isUuid(u.groupId)) throw new AppError(400, 'invalid_parameter', { message: { ja: '所属グループを選択してください。', en: 'Choose a group.' } });
        const admin = await groupHasUserAdmin(db, actor.customerId, u.groupId);
        // Seed §4-2 注(1): not into a group without グループ・ユーザー権限設定 (the administrator would lose the screen).
        if (!isMaster && u.userId === actor.id && !admin) {
          throw new AppError(403, 'self_protection', {
            message: { ja: 'ご自身を「グループ・ユーザー権限設定」が不可のグループへ所属変更することはできません。', en: 'You cannot move yourself into a group without group and user administration.' },
          });
        }
      }
      if (users.some((u) => rows.find((r) => r.id === u.userId)!.version !== u.version)) throw editConflict();
      return;
    }
    case 'user.delete':
    case 'password.login_reset':
    case 'password.transaction_reset': {
      // Seed §4-3 注: not oneself; DESIGN §5: never the master (the operator unlocks a master user).
      if (change.payload.userIds.includes(actor.id)) throw new AppError(403, 'self_protection');
      await membersOf(db, actor.customerId, change.payload.userIds);
      return;
    }
    // Who may: 重要権限 (seed 003 §3-1: オプションサービスの申込・変更・解約), through mayMakeChange above.
    case 'business_id.apply':
      if (actor.businessIdActive) throw new AppError(409, 'business_id_already_active');
      return;
    case 'business_id.cancel':
      if (!actor.businessIdActive) throw new AppError(409, 'business_id_not_active');
      if (actor.certificateServiceActive) throw certificateServiceStillActive();
      return;
    case 'certificate_service.cancel':
      // Who may: セキュリティ関連設定 (mayMakeChange above), the one rule for it.
      if (!actor.certificateServiceActive) throw new AppError(409, 'conflict');
      return;
    // Seed 003 §2-3 (電子証明書 未申込 → 申込): offered once ビジネスID管理 is in use; セキュリティ関連設定.
    case 'certificate_service.apply':
      if (!actor.businessIdActive) throw new AppError(409, 'business_id_not_active');
      if (actor.certificateServiceActive) {
        throw new AppError(409, 'conflict', { message: { ja: '電子証明書は既にお申込み済みです。', en: 'The certificate service is already active.' } });
      }
      return;
    // DESIGN §14 ログイン方法の変更 (seed 003 §2-2 ▽電子証明書のご利用手順); セキュリティ関連設定.
    case 'login_method.change': {
      const method: string = change.payload.method;
      if (method !== 'password' && method !== 'certificate') throw new AppError(400, 'invalid_parameter');
      if (method === 'certificate' && !actor.certificateServiceActive) throw certificateServiceInactive();
      const current = await db.selectFrom('customers').select('login_method').where('id', '=', actor.customerId).executeTakeFirstOrThrow();
      if (current.login_method === method) {
        throw new AppError(409, 'conflict', { message: { ja: '現在のログイン方法と同じです。', en: 'This is the current login method already.' } });
      }
      return;
    }
    // The master's own certificate, ordered in お客さま情報 (DESIGN §14 Ordering); the master only (actor.ts).
    case 'certificate.order_master':
      if (!actor.certificateServiceActive) throw certificateServiceInactive();
      if (!isCertificateOrderInput(change.payload.certificate)) throw new AppError(400, 'invalid_parameter');
      return;
  }
}

/** A temporary login password that meets the password rules: 12 characters, letters and digits. */
export function temporaryPassword(): string {
  const letters = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
  const all = `${letters}23456789`;
  for (;;) {
    let s = '';
    for (let i = 0; i < 12; i++) s += all[randomInt(all.length)];
    if (/[A-Za-z]/.test(s) && /[0-9]/.test(s)) return s;
  }
}

/**
 * Applies a confirmed change inside the confirming transaction, re-checking every rule first; its mails
 * (temporary passwords, reset URLs) go to the outbox in the same transaction.
 */
export async function applyChange(trx: Transaction<Database>, ctx: ApplyContext, change: Change): Promise<ApplyResult> {
  const { mails, summary, orders } = await makeChange(trx, ctx, change);
  const mailIds = await enqueueMails(trx, mails);
  // Certificate orders after the change's own mails: a new user reads their user ID before 電子証明書取得のお願い.
  if (orders && orders.length > 0) {
    await placeCertificateOrders(trx, { orderedByUserId: ctx.actor.id, publicUrl: ctx.publicUrl, orders, context: ctx.context });
    summary.certificates = orders.length;
  }
  return { mailIds, summary };
}

type Made = { mails: MailMessage[]; summary: Record<string, unknown>; orders?: { userId: string; certificate: CertificateOrderInput }[] };

async function makeChange(trx: Transaction<Database>, ctx: ApplyContext, change: Change): Promise<Made> {
  const { actor } = ctx;
  const audit = { customerId: actor.customerId, actorUserId: actor.id, actorLoginId: actor.loginId, context: ctx.context };
  const locked = await lockCustomerFor(trx, actor, change.kind);
  // The rules read the services as they are under the lock, not as they were when the request began.
  const current: Actor = { ...actor, businessIdActive: locked.business_id_status === 'active', certificateServiceActive: locked.certificate_service_status === 'active' };
  await lockShownVersions(trx, actor.customerId, change);
  await checkChange(trx, current, change);
  const mails: MailMessage[] = [];
  switch (change.kind) {
    case 'group.create': {
      const id = await createGroup(trx, { customerId: actor.customerId, ...change.payload });
      await recordAudit(trx, { ...audit, type: 'group.created', details: { groupId: id, name: change.payload.name, permissions: change.payload.permissions } });
      return { mails, summary: { groupId: id } };
    }
    case 'group.update': {
      const current = await readGroup(trx, actor.customerId, change.payload.groupId);
      const before = current && { id: current.id, name: current.name, permissions: current.permissions };
      await updateGroup(trx, { customerId: actor.customerId, groupId: change.payload.groupId, name: change.payload.name, permissions: change.payload.permissions });
      await recordAudit(trx, { ...audit, type: 'group.updated', details: { groupId: change.payload.groupId, before, after: { name: change.payload.name, permissions: change.payload.permissions } } });
      return { mails, summary: {} };
    }
    case 'group.delete': {
      const members = await trx.selectFrom('users').select(['id', 'group_id']).where('group_id', 'in', change.payload.groupIds).where('deleted_at', 'is', null).execute();
      await retireUsers(trx, { customerId: actor.customerId, userIds: members.map((m) => m.id), reason: 'group_deleted', actorUserId: actor.id, context: ctx.context });
      const groups = await trx.deleteFrom('groups').where('id', 'in', change.payload.groupIds).where('customer_id', '=', actor.customerId).returning(['id', 'name']).execute();
      for (const g of groups) {
        // Each group's own members: the record of one group must not carry the whole deletion's count.
        const deletedUsers = members.filter((m) => m.group_id === g.id).length;
        await recordAudit(trx, { ...audit, type: 'group.deleted', details: { groupId: g.id, name: g.name, deletedUsers } });
      }
      return { mails, summary: { groups: groups.length, users: members.length } };
    }
    case 'user.create': {
      const created: { loginId: string; name: string }[] = [];
      const orders: NonNullable<Made['orders']> = [];
      for (const u of change.payload.users) {
        const password = temporaryPassword();
        const user = await createUser(trx, { customerId: actor.customerId, groupId: u.groupId, name: u.name, email: u.email, initialPassword: password });
        created.push({ loginId: user.loginId, name: u.name.trim() });
        if (u.certificate) orders.push({ userId: user.id, certificate: u.certificate });
        await recordAudit(trx, {
          ...audit, type: 'user.created', subjectUserId: user.id,
          details: { loginId: user.loginId, name: u.name.trim(), email: u.email.trim(), groupId: u.groupId, ...(u.certificate ? { certificateOrder: true } : {}) },
        });
        mails.push({
          to: u.email.trim(),
          subject: '【れんけい銀行】ユーザー登録のお知らせ',
          text: `${u.name.trim()} さま\n\n${actor.customerName} のビジネスID管理で、あなたのユーザーが登録されました。\n\nユーザーID（ログインID）: ${user.loginId}\n仮ログインパスワード: ${password}\n\n${ctx.publicUrl}/ib/login からログインし、初回ログイン時の設定で取引パスワードを設定してください。\n`,
        });
      }
      return { mails, summary: { created }, orders };
    }
    case 'user.update': {
      for (const u of change.payload.users) {
        const before = await trx.selectFrom('users').select(['name', 'email', 'group_id']).where('id', '=', u.userId).executeTakeFirstOrThrow();
        await trx.updateTable('users')
          .set((eb) => ({ name: u.name.trim(), email: u.email.trim(), group_id: u.groupId, version: sql<number>`${eb.ref('version')} + 1`, updated_at: sql<Date>`now()` }))
          .where('id', '=', u.userId).execute();
        // Seed 003 §4-2 lets a group administrator move themselves into any group with グループ・ユーザー権限設定,
        // including one with more rights than their own: allowed, and marked so an operator can find it.
        const selfGroupChange = actor.role !== 'master' && u.userId === actor.id && before.group_id !== u.groupId;
        await recordAudit(trx, {
          ...audit, type: 'user.updated', subjectUserId: u.userId,
          details: {
            before, after: { name: u.name.trim(), email: u.email.trim(), group_id: u.groupId },
            ...(selfGroupChange ? { selfGroupChange: true } : {}), ...(u.certificate ? { certificateOrder: true } : {}),
          },
        });
      }
      // 電子証明書発行（再発行）: the new order; the previous certificate is revoked once the new one is downloaded.
      const orders = change.payload.users.flatMap((u) => (u.certificate ? [{ userId: u.userId, certificate: u.certificate }] : []));
      return { mails, summary: {}, orders };
    }
    case 'user.delete':
      await retireUsers(trx, { customerId: actor.customerId, userIds: change.payload.userIds, reason: 'user_deleted', actorUserId: actor.id, context: ctx.context });
      return { mails, summary: { users: change.payload.userIds.length } };
    case 'password.login_reset': {
      const users = await membersOf(trx, actor.customerId, change.payload.userIds);
      for (const u of users) {
        const { token, code } = await issueLoginReset(trx, { userId: u.id, codeKey: ctx.codeKey });
        // The current password stops working now; a lock is lifted (ロック解除).
        await trx.updateTable('users').set({ status: 'reset_pending', locked_at: null, login_failed_count: 0, updated_at: sql<Date>`now()` }).where('id', '=', u.id).execute();
        await recordAudit(trx, { ...audit, type: 'password.login_reset', subjectUserId: u.id, details: { loginId: u.login_id, wasLocked: u.status === 'locked' } });
        mails.push({
          to: u.email,
          subject: '【れんけい銀行】ログインパスワード再設定のお知らせ',
          text: `${u.name} さま\n\n管理者がログインパスワードを再設定（ロック解除）しました。現在のログインパスワードは失効しています。\n下記URLで認証番号を入力し、新しいログインパスワードを設定してください。\n\n${ctx.publicUrl}/ib/password-reset/${token}\n認証番号: ${code}\n\n認証番号の有効期限は${RESET_CODE_TTL_MINUTES}分です。\n`,
        });
      }
      await revokeGrantsOfUsers(trx, { userIds: users.map((u) => u.id), by: 'user_change', reason: 'login_password_reset', actorUserId: actor.id, context: ctx.context });
      await endIbSessionsOfUsers(trx, users.map((u) => u.id));
      return { mails, summary: { users: users.length } };
    }
    case 'password.transaction_reset': {
      const users = await membersOf(trx, actor.customerId, change.payload.userIds);
      for (const u of users) {
        await trx.updateTable('users').set({
          transaction_password_hash: null, transaction_password_failed_count: 0, transaction_password_locked_at: null,
          status: u.status === 'active' ? 'setup_required' : u.status, updated_at: sql<Date>`now()`,
        }).where('id', '=', u.id).execute();
        await recordAudit(trx, { ...audit, type: 'password.transaction_reset', subjectUserId: u.id, details: { loginId: u.login_id } });
        mails.push({
          to: u.email,
          subject: '【れんけい銀行】取引パスワードリセットのお知らせ',
          text: `${u.name} さま\n\n管理者が取引パスワードを再設定（ロック解除）しました。現在の取引パスワードは失効しています。\n次回ログイン時に、新しい取引パスワードを設定してください。\n\n${ctx.publicUrl}/ib/login\n`,
        });
      }
      await revokeGrantsOfUsers(trx, { userIds: users.map((u) => u.id), by: 'user_change', reason: 'transaction_password_reset', actorUserId: actor.id, context: ctx.context });
      return { mails, summary: { users: users.length } };
    }
    case 'business_id.apply':
      await trx.updateTable('customers').set({
        business_id_status: 'active', certificate_service_status: change.payload.certificate ? 'active' : 'none', updated_at: sql<Date>`now()`,
      }).where('id', '=', actor.customerId).execute();
      await recordAudit(trx, { ...audit, type: 'business_id.applied', details: { certificate: change.payload.certificate } });
      return { mails, summary: {} };
    case 'business_id.cancel': {
      const members = await trx.selectFrom('users').select('id').where('customer_id', '=', actor.customerId).where('role', '=', 'member').where('deleted_at', 'is', null).execute();
      await retireUsers(trx, { customerId: actor.customerId, userIds: members.map((m) => m.id), reason: 'business_id_cancelled', actorUserId: actor.id, context: ctx.context });
      await trx.deleteFrom('groups').where('customer_id', '=', actor.customerId).execute();
      await trx.updateTable('customers').set({ business_id_status: 'none', updated_at: sql<Date>`now()` }).where('id', '=', actor.customerId).execute();
      await recordAudit(trx, { ...audit, type: 'business_id.cancelled', details: { deletedUsers: members.length } });
      return { mails, summary: { users: members.length } };
    }
    case 'certificate_service.cancel': {
      const holders = await revokeAllCertificatesOfCustomer(trx, actor.customerId);
      await trx.updateTable('customers').set({ certificate_service_status: 'none', login_method: 'password', updated_at: sql<Date>`now()` }).where('id', '=', actor.customerId).execute();
      await recordAudit(trx, { ...audit, type: 'certificate_service.cancelled', details: { revokedUsers: holders.length, loginMethod: 'password' } });
      // Seed 003 §2-3: 電子証明書の失効は、ご登録ユーザーの各メールアドレスに通知されます。
      for (const h of holders) {
        mails.push({
          to: h.email,
          subject: '【れんけい銀行】電子証明書失効のお知らせ',
          text: `${h.name} さま\n\n${actor.customerName} の電子証明書サービスが解約されたため、あなた（ユーザーID: ${h.login_id}）の電子証明書を失効しました。取得前の電子証明書の発行手続きも取り消しました。\n今後はユーザーIDとログインパスワードでログインしてください。\n\n${ctx.publicUrl}/ib/login\n`,
        });
      }
      return { mails, summary: { users: holders.length } };
    }
    case 'certificate_service.apply':
      await trx.updateTable('customers').set({ certificate_service_status: 'active', updated_at: sql<Date>`now()` }).where('id', '=', actor.customerId).execute();
      await recordAudit(trx, { ...audit, type: 'certificate_service.applied' });
      return { mails, summary: {} };
    case 'login_method.change': {
      // Effective from each user's next login: sessions already open stay as they are (DESIGN §14).
      const before = await trx.selectFrom('customers').select('login_method').where('id', '=', actor.customerId).executeTakeFirstOrThrow();
      await trx.updateTable('customers').set({ login_method: change.payload.method, updated_at: sql<Date>`now()` }).where('id', '=', actor.customerId).execute();
      await recordAudit(trx, { ...audit, type: 'login_method.changed', details: { before: { loginMethod: before.login_method }, after: { loginMethod: change.payload.method } } });
      return { mails, summary: {} };
    }
    case 'certificate.order_master':
      return { mails, summary: {}, orders: [{ userId: actor.id, certificate: change.payload.certificate }] };
  }
}

/** Row-locks the customer and returns its services as they are under the lock (the rules read them again). */
async function lockCustomerFor(trx: Db, actor: Actor, kind: ChangeKind): Promise<{ business_id_status: string; certificate_service_status: string }> {
  if (kind === 'certificate_service.cancel' || kind === 'business_id.apply') {
    const row = await trx.selectFrom('customers').select(['business_id_status', 'certificate_service_status']).where('id', '=', actor.customerId).forUpdate().executeTakeFirst();
    if (!row) throw new AppError(404, 'not_found');
    return row;
  }
  const customer = await lockCorporateWithBusinessId(trx, actor.customerId);
  if (kind === 'business_id.cancel' && customer.certificate_service_status === 'active') throw certificateServiceStillActive();
  return customer;
}

