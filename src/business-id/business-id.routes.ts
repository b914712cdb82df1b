import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from './actor.ts';
import { canManageBusinessId, canManageCustomerSettings } from './actor.ts';
import { applyChange, checkChange, type Change, type ChangeKind } from './changes.ts';
import { confirmChange, hasLiveMailToken, issueMailToken, loadPendingChange, proposeChange, type PendingChange } from './confirmations.service.ts';
import { MAX_GROUPS_PER_CUSTOMER, readGroup } from './groups.service.ts';
import { MAX_APPROVAL_LIMIT_YEN, NO_OTHER_RIGHTS, type GroupPermissions } from './permissions.ts';
import { MAX_USERS_PER_CUSTOMER } from './users.service.ts';
import { verifyCsrf } from '../internet-banking/csrf.ts';
import { field, fields, formError, langOf, render, requestContext, requireRight, requireSession, type IbDeps } from '../internet-banking/ib-pages.ts';
import { AppError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';

/** その他 rights in the seed's order (seed 003 §3-1 rows 4–11), with the seed's choice labels. */
export const OTHER_RIGHTS = [
  { key: 'importantOperations', ja: '重要権限', en: 'Important operations', yes: 'あり', no: 'なし' },
  { key: 'securitySettings', ja: 'セキュリティ関連設定', en: 'Security settings', yes: '可', no: '不可' },
  { key: 'userAdmin', ja: 'グループ・ユーザー権限設定', en: 'Group and user administration', yes: '可', no: '不可' },
  { key: 'accountTransferService', ja: '口座振替サービス', en: 'Account transfer service', yes: '登録可', no: '登録不可' },
  { key: 'virtualAccountService', ja: '振込入金口座サービス', en: 'Virtual account service', yes: '利用可', no: '利用不可' },
  { key: 'auditLogView', ja: 'ログイン・操作履歴', en: 'Login and operation history', yes: '照会可', no: '照会不可' },
  { key: 'smartphoneApp', ja: 'スマートフォンアプリ（取引用）', en: 'Smartphone app', yes: '利用可', no: '利用不可' },
  { key: 'documentIssuance', ja: '書面発行', en: 'Document issuance', yes: '可', no: '不可' },
] as const;

type OtherKey = (typeof OTHER_RIGHTS)[number]['key'];

/** Seed 003 §3-1: limits are entered in 万円 (whole numbers), stored in yen. */
function parseManYen(raw: string, label: { ja: string; en: string }): number {
  const s = raw.replace(/[,，\s]/g, '');
  if (!/^[0-9]{1,8}$/.test(s)) {
    throw new AppError(400, 'invalid_parameter', { message: { ja: `${label.ja}は0〜99,999,999の整数（万円）で入力してください。`, en: `${label.en} must be a whole number of 万円 from 0 to 99,999,999.` } });
  }
  return Number(s) * 10_000;
}

/** The group form (グループ新規登録 / グループ編集) → name and permission set; no rule is checked here. */
export function parseGroupForm(body: unknown, accountIds: string[]): { name: string; permissions: GroupPermissions } {
  const on = (k: string) => field(body, k) === 'on';
  const approval = field(body, 'approval') === 'yes'
    ? {
        authority: true as const,
        limitYen: parseManYen(field(body, 'approvalLimitMan'), { ja: '承認限度額', en: 'The approval limit' }),
        selfLimitYen: parseManYen(field(body, 'selfApprovalLimitMan'), { ja: '自己承認限度額', en: 'The self-approval limit' }),
      }
    : { authority: false as const };
  const other = { ...NO_OTHER_RIGHTS };
  for (const r of OTHER_RIGHTS) other[r.key as OtherKey] = field(body, r.key) === 'yes';
  return {
    name: field(body, 'name'),
    permissions: {
      accounts: accountIds
        .map((id) => ({ accountId: id, inquiry: on(`a_${id}_inquiry`), operate: on(`a_${id}_operate`), transfer: on(`a_${id}_transfer`), bulkTransfer: on(`a_${id}_bulk`) }))
        .filter((a) => a.inquiry || a.operate || a.transfer || a.bulkTransfer),
      approval,
      timeDeposit: { inquiry: on('timeDepositInquiry'), operate: on('timeDepositOperate') },
      fx: { inquiry: on('fxInquiry'), operate: on('fxOperate') },
      other,
    },
  };
}

export { MAX_APPROVAL_LIMIT_YEN };

const ROWS_MAX = 20;

/** ビジネスID管理 screens: グループ一覧 and ユーザー一覧 with their flows, and the shared confirmation screen. */
export const businessIdRoutes: FastifyPluginAsync<IbDeps> = async function businessIdRoutes(app, deps) {
  const { db } = deps;
  const session = requireSession(deps);
  const admin = [session, requireRight(canManageBusinessId)];
  const adminPost = [verifyCsrf, ...admin];

  const ordinaryAccounts = (customerId: string) => db.selectFrom('accounts')
    .select(['id', 'branch_name', 'branch_code', 'account_number', 'account_name', 'is_primary'])
    .where('customer_id', '=', customerId).where('account_type_code', '=', '01')
    .orderBy('is_primary', 'desc').orderBy('account_number').execute();

  const groupList = (customerId: string) => db.selectFrom('groups')
    .leftJoin('users', (j) => j.onRef('users.group_id', '=', 'groups.id').on('users.deleted_at', 'is', null))
    .select((eb) => ['groups.id', 'groups.name', 'groups.user_admin', eb.fn.count<string>('users.id').as('userCount'),
      eb.fn<string | null>('string_agg', ['users.name', eb.val('、')]).as('userNames')])
    .where('groups.customer_id', '=', customerId)
    .groupBy(['groups.id', 'groups.name', 'groups.user_admin', 'groups.created_at'])
    .orderBy('groups.created_at').orderBy('groups.id').execute();

  const userList = (customerId: string, groupId?: string) => {
    let q = db.selectFrom('users').leftJoin('groups', 'groups.id', 'users.group_id')
      .select(['users.id', 'users.login_id', 'users.name', 'users.email', 'users.role', 'users.status', 'users.group_id',
        'users.transaction_password_locked_at', 'groups.name as group_name'])
      .where('users.customer_id', '=', customerId).where('users.deleted_at', 'is', null);
    if (groupId) q = q.where('users.group_id', '=', groupId);
    return q.orderBy('users.role').orderBy('users.created_at').orderBy('users.login_id').execute();
  };

  const memberCount = async (customerId: string) => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('c'))
    .where('customer_id', '=', customerId).where('role', '=', 'member').where('deleted_at', 'is', null).executeTakeFirstOrThrow()).c);

  /** Checks a change, stores it, and sends the browser to the confirmation screen. */
  async function propose(request: FastifyRequest, reply: FastifyReply, change: Change) {
    const actor = request.ibActor!;
    await checkChange(db, actor, change);
    const id = await proposeChange(db, actor, change.kind, change.payload);
    return reply.redirect(`/ib/confirm/${id}`, 303);
  }

  // ---- グループ一覧 (seed 003 §3) ----
  app.get('/ib/business-id/groups', { preHandler: admin }, async (request, reply) => {
    const mode = (request.query as { mode?: string }).mode;
    const groups = await groupList(request.ibActor!.customerId);
    return render(request, reply, 'business-id/groups', {
      groups, mode: mode === 'edit' || mode === 'delete' ? mode : 'list', remaining: MAX_GROUPS_PER_CUSTOMER - groups.length,
      now: new Date(),
    });
  });

  const groupForm = async (request: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>, status = 200) => {
    const accounts = await ordinaryAccounts(request.ibActor!.customerId);
    return render(request, reply, 'business-id/group-form', { accounts, otherRights: OTHER_RIGHTS, ...data }, status);
  };
  const emptyGroup = (): { name: string; permissions: GroupPermissions } => ({
    name: '', permissions: { accounts: [], approval: { authority: false }, timeDeposit: { inquiry: false, operate: false }, fx: { inquiry: false, operate: false }, other: { ...NO_OTHER_RIGHTS } },
  });

  app.get('/ib/business-id/groups/new', { preHandler: admin }, async (request, reply) => groupForm(request, reply, { group: emptyGroup(), action: 'new' }));
  app.post('/ib/business-id/groups/new', { preHandler: adminPost }, async (request, reply) => {
    const accounts = await ordinaryAccounts(request.ibActor!.customerId);
    let group = emptyGroup();
    try {
      group = parseGroupForm(request.body, accounts.map((a) => a.id));
      if (group.name.trim().length === 0 || group.name.trim().length > 30) {
        throw new AppError(400, 'invalid_parameter', { message: { ja: 'グループ名は1〜30文字で入力してください。', en: 'The group name must be 1 to 30 characters.' } });
      }
      const count = (await groupList(request.ibActor!.customerId)).length;
      if (count >= MAX_GROUPS_PER_CUSTOMER) throw new AppError(409, 'group_limit_reached');
      return await propose(request, reply, { kind: 'group.create', payload: { name: group.name.trim(), permissions: group.permissions } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return groupForm(request, reply, { group, action: 'new', error: e.message }, e.status);
    }
  });

  app.get('/ib/business-id/groups/edit', { preHandler: admin }, async (request, reply) => {
    const id = (request.query as { groupId?: string }).groupId ?? '';
    const group = await readGroup(db, request.ibActor!.customerId, id);
    if (!group) {
      throw new AppError(400, 'invalid_parameter', { message: { ja: '編集対象グループを選択してください。', en: 'Select the group to edit.' } });
    }
    return groupForm(request, reply, { group, groupId: group.id, action: 'edit' });
  });
  app.post('/ib/business-id/groups/edit', { preHandler: adminPost }, async (request, reply) => {
    const accounts = await ordinaryAccounts(request.ibActor!.customerId);
    const groupId = field(request.body, 'groupId');
    let group = emptyGroup();
    try {
      group = parseGroupForm(request.body, accounts.map((a) => a.id));
      if (!isUuid(groupId)) throw new AppError(404, 'not_found');
      return await propose(request, reply, { kind: 'group.update', payload: { groupId, name: group.name.trim(), permissions: group.permissions } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return groupForm(request, reply, { group, groupId, action: 'edit', error: e.message }, e.status);
    }
  });

  app.post('/ib/business-id/groups/delete', { preHandler: adminPost }, async (request, reply) =>
    propose(request, reply, { kind: 'group.delete', payload: { groupIds: [...new Set(fields(request.body, 'groupIds'))] } }));

  // ---- ユーザー一覧 (seed 003 §4) ----
  const USER_MODES = ['edit', 'delete', 'login-reset', 'transaction-reset'];
  app.get('/ib/business-id/users', { preHandler: admin }, async (request, reply) => {
    const a = request.ibActor!;
    const q = request.query as { group?: string; mode?: string };
    const groups = await groupList(a.customerId);
    const groupId = groups.some((g) => g.id === q.group) ? q.group : undefined;
    const users = await userList(a.customerId, groupId);
    return render(request, reply, 'business-id/users', {
      users, groups, groupId: groupId ?? '', mode: USER_MODES.includes(q.mode ?? '') ? q.mode : 'list',
      remaining: MAX_USERS_PER_CUSTOMER - (await memberCount(a.customerId)), now: new Date(),
    });
  });

  const userForm = async (request: FastifyRequest, reply: FastifyReply, data: { rows: { userId?: string; name: string; email: string; groupId: string; master?: boolean; loginId?: string }[]; action: 'new' | 'edit'; error?: string }, status = 200) => {
    const a = request.ibActor!;
    const groups = await groupList(a.customerId);
    return render(request, reply, 'business-id/user-form', { ...data, groups, remaining: MAX_USERS_PER_CUSTOMER - (await memberCount(a.customerId)) }, status);
  };
  const emptyRow = () => ({ name: '', email: '', groupId: '' });

  app.get('/ib/business-id/users/new', { preHandler: admin }, async (request, reply) => userForm(request, reply, { rows: [emptyRow()], action: 'new' }));
  app.post('/ib/business-id/users/new', { preHandler: adminPost }, async (request, reply) => {
    const names = fields(request.body, 'name');
    const emails = fields(request.body, 'email');
    const groupIds = fields(request.body, 'groupId');
    let rows = names.slice(0, ROWS_MAX).map((name, i) => ({ name, email: emails[i] ?? '', groupId: groupIds[i] ?? '' }));
    const add = field(request.body, 'add');
    if (add === '1' || add === '5') {
      // +1件追加 / +5件追加 without JavaScript: the form posts back and comes back with more rows.
      rows = [...rows, ...Array.from({ length: Number(add) }, emptyRow)].slice(0, ROWS_MAX);
      return userForm(request, reply, { rows, action: 'new' });
    }
    const filled = rows.filter((r) => r.name.trim() !== '' || r.email.trim() !== '');
    try {
      return await propose(request, reply, { kind: 'user.create', payload: { users: filled.map((r) => ({ name: r.name.trim(), email: r.email.trim(), groupId: r.groupId })) } });
    } catch (err) {
      const e = formError(err, langOf(request));
      return userForm(request, reply, { rows: rows.length > 0 ? rows : [emptyRow()], action: 'new', error: e.message }, e.status);
    }
  });

  // Selection in the list → the edit form for the chosen users.
  app.post('/ib/business-id/users/edit', { preHandler: adminPost }, async (request, reply) => {
    const a = request.ibActor!;
    const ids = fields(request.body, 'userIds').filter(isUuid);
    if (ids.length === 0) throw new AppError(400, 'invalid_parameter', { message: { ja: '編集対象ユーザーを選択してください。', en: 'Select the users to edit.' } });
    const users = (await userList(a.customerId)).filter((u) => ids.includes(u.id));
    if (users.length !== new Set(ids).size) throw new AppError(404, 'not_found');
    return userForm(request, reply, {
      action: 'edit', rows: users.map((u) => ({ userId: u.id, loginId: u.login_id, name: u.name, email: u.email, groupId: u.group_id ?? '', master: u.role === 'master' })),
    });
  });
  app.post('/ib/business-id/users/edit/confirm', { preHandler: adminPost }, async (request, reply) => {
    const a = request.ibActor!;
    const ids = fields(request.body, 'userId');
    const names = fields(request.body, 'name');
    const emails = fields(request.body, 'email');
    const groupIds = fields(request.body, 'groupId');
    const all = await userList(a.customerId);
    const rows = ids.slice(0, MAX_USERS_PER_CUSTOMER + 1).map((userId, i) => {
      const u = all.find((x) => x.id === userId);
      return { userId, loginId: u?.login_id, master: u?.role === 'master', name: names[i] ?? '', email: emails[i] ?? '', groupId: groupIds[i] ?? '' };
    });
    try {
      return await propose(request, reply, {
        kind: 'user.update',
        payload: { users: rows.map((r) => ({ userId: r.userId, name: r.name.trim(), email: r.email.trim(), groupId: r.master ? null : r.groupId })) },
      });
    } catch (err) {
      const e = formError(err, langOf(request));
      return userForm(request, reply, { rows: rows.map((r) => ({ ...r, loginId: r.loginId ?? '' })), action: 'edit', error: e.message }, e.status);
    }
  });

  const selection: [string, ChangeKind][] = [['delete', 'user.delete'], ['login-reset', 'password.login_reset'], ['transaction-reset', 'password.transaction_reset']];
  for (const [path, kind] of selection) {
    app.post(`/ib/business-id/users/${path}`, { preHandler: adminPost }, async (request, reply) =>
      propose(request, reply, { kind, payload: { userIds: [...new Set(fields(request.body, 'userIds'))] } } as Change));
  }

  // ---- お客さま情報（申込・設定）: proposals (screens in ib.plugin.ts) ----
  const settingsPost = [verifyCsrf, session, requireRight(canManageCustomerSettings)];
  app.post('/ib/settings/business-id/apply', { preHandler: settingsPost }, async (request, reply) => {
    const choice = field(request.body, 'certificate');
    if (choice !== 'yes' && choice !== 'no') {
      throw new AppError(400, 'invalid_parameter', { message: { ja: '電子証明書の利用を選択してください。', en: 'Choose whether to use client certificates.' } });
    }
    if (field(request.body, 'agree') !== 'on') {
      throw new AppError(400, 'invalid_parameter', { message: { ja: '規定に同意のうえお申込みください。', en: 'Agree to the terms to apply.' } });
    }
    return propose(request, reply, { kind: 'business_id.apply', payload: { certificate: choice === 'yes' } });
  });
  app.post('/ib/settings/business-id/cancel', { preHandler: settingsPost }, async (request, reply) =>
    propose(request, reply, { kind: 'business_id.cancel', payload: {} }));
  app.post('/ib/settings/certificate/cancel', { preHandler: settingsPost }, async (request, reply) =>
    propose(request, reply, { kind: 'certificate_service.cancel', payload: {} }));

  // ---- The confirmation screen shared by every change (issue 5 item 6) ----
  const CONFIRM_RIGHTS: Record<string, (a: Actor) => boolean> = {
    'business_id.apply': canManageCustomerSettings, 'business_id.cancel': canManageCustomerSettings,
    'certificate_service.cancel': canManageCustomerSettings,
  };
  const assertMayConfirm = (actor: Actor, change: PendingChange) => {
    const check = CONFIRM_RIGHTS[change.kind] ?? canManageBusinessId;
    if (!check(actor)) throw new AppError(403, 'forbidden');
  };

  async function describe(actor: Actor, change: PendingChange) {
    const c = change as unknown as Change;
    const accounts = await ordinaryAccounts(actor.customerId);
    const groups = await groupList(actor.customerId);
    const users = await userList(actor.customerId);
    return { change: c, accounts, groups, users, otherRights: OTHER_RIGHTS };
  }

  const confirmPage = async (request: FastifyRequest, reply: FastifyReply, change: PendingChange, data: Record<string, unknown> = {}, status = 200) =>
    render(request, reply, 'business-id/confirm', { id: change.id, ...(await describe(request.ibActor!, change)), ...data }, status);

  const sendMailToken = async (request: FastifyRequest, change: PendingChange) => {
    const mail = await issueMailToken(db, deps.codeKey, request.ibActor!, change, langOf(request));
    await deps.mailer.send(mail);
  };

  app.get('/ib/confirm/:id', { preHandler: session }, async (request, reply) => {
    const actor = request.ibActor!;
    const change = await loadPendingChange(db, actor, (request.params as { id: string }).id);
    assertMayConfirm(actor, change);
    let sent = false;
    if (!(await hasLiveMailToken(db, actor, change))) {
      await sendMailToken(request, change);
      sent = true;
    }
    return confirmPage(request, reply, change, { sent, reissued: (request.query as { reissued?: string }).reissued === '1' });
  });

  app.post('/ib/confirm/:id/reissue', { preHandler: [verifyCsrf, session] }, async (request, reply) => {
    const actor = request.ibActor!;
    const change = await loadPendingChange(db, actor, (request.params as { id: string }).id);
    assertMayConfirm(actor, change);
    await sendMailToken(request, change);
    return reply.redirect(`/ib/confirm/${change.id}?reissued=1`, 303);
  });

  app.post('/ib/confirm/:id', { preHandler: [verifyCsrf, session] }, async (request, reply) => {
    const actor = request.ibActor!;
    const change = await loadPendingChange(db, actor, (request.params as { id: string }).id);
    assertMayConfirm(actor, change);
    let result;
    try {
      result = await confirmChange(db, {
        codeKey: deps.codeKey, actor, changeId: change.id, transactionPassword: field(request.body, 'transactionPassword'),
        mailToken: field(request.body, 'mailToken'), context: requestContext(request),
      }, (trx, c) => applyChange(trx, { actor, codeKey: deps.codeKey, publicUrl: deps.config.publicUrl, context: requestContext(request) }, c as unknown as Change));
    } catch (err) {
      const e = formError(err, langOf(request));
      if (e.status === 410) throw err;
      return confirmPage(request, reply, change, { error: e.message }, e.status);
    }
    let mailFailures = 0;
    for (const m of result.mails) {
      try {
        await deps.mailer.send(m);
      } catch {
        mailFailures++;
      }
    }
    return render(request, reply, 'business-id/done', { kind: change.kind, summary: result.summary, mailFailures });
  });
};
