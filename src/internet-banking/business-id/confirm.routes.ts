import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { mayMakeChange, type Actor } from '../../business-id/actor.ts';
import { applyChange, storedChange, type ApplyResult, type ChangeKind } from '../../business-id/changes.ts';
import { changeKindOf, confirmChange, hasLiveMailToken, issueMailToken, loadPendingChange, type PendingChange } from '../../business-id/confirmations.service.ts';
import { listGroups, listOrdinaryAccounts } from '../../business-id/groups.repository.ts';
import { listUsers } from '../../business-id/users.repository.ts';
import type { Db } from '../../db/transaction.ts';
import { AppError } from '../../shared/errors.ts';
import { formError, langOf, render, requestContext, requireSession, type IbDeps, type IbScreenOptions } from '../ib-pages.ts';
import { actorOf, textsOf } from './business-id.pages.ts';
import { ConfirmBody, ConfirmParams, ConfirmQuery } from './business-id.schemas.ts';
import { BUSINESS_ID_TEXTS } from './business-id.texts.ts';
import { invalidInput } from './form-input.ts';
import { OTHER_RIGHT_KEYS } from './group-form.ts';
import { groupListPage } from './groups.routes.ts';
import { userListPage } from './users.routes.ts';

const GROUPS = '/ib/business-id/groups';
const USERS = '/ib/business-id/users';
const SETTINGS = '/ib/settings';

/**
 * Where each kind of change was entered and where its completion screen leads. 戻る opens the entry
 * screen with `from=<change id>`, so the form shows again with everything entered (the stored change).
 */
const SCREENS: Record<ChangeKind, { back: string; next: string; nextLabel: 'toGroups' | 'toUsers' | 'close' }> = {
  'group.create': { back: `${GROUPS}/new?`, next: GROUPS, nextLabel: 'toGroups' },
  'group.update': { back: `${GROUPS}/edit?`, next: GROUPS, nextLabel: 'toGroups' },
  'group.delete': { back: `${GROUPS}?mode=delete&`, next: GROUPS, nextLabel: 'toGroups' },
  'user.create': { back: `${USERS}/new?`, next: USERS, nextLabel: 'toUsers' },
  'user.update': { back: `${USERS}/edit?`, next: USERS, nextLabel: 'toUsers' },
  'user.delete': { back: `${USERS}?mode=delete&`, next: USERS, nextLabel: 'close' },
  'password.login_reset': { back: `${USERS}?mode=login-reset&`, next: USERS, nextLabel: 'close' },
  'password.transaction_reset': { back: `${USERS}?mode=transaction-reset&`, next: USERS, nextLabel: 'close' },
  'business_id.apply': { back: `${SETTINGS}/business-id/apply?`, next: GROUPS, nextLabel: 'toGroups' },
  'business_id.cancel': { back: `${SETTINGS}?`, next: SETTINGS, nextLabel: 'close' },
  'certificate_service.cancel': { back: `${SETTINGS}?`, next: SETTINGS, nextLabel: 'close' },
  'certificate_service.apply': { back: `${SETTINGS}?`, next: SETTINGS, nextLabel: 'close' },
  'login_method.change': { back: `${SETTINGS}/security?`, next: `${SETTINGS}/security`, nextLabel: 'close' },
  'certificate.order_master': { back: `${SETTINGS}?`, next: SETTINGS, nextLabel: 'close' },
};

/** 戻る of a confirmation: its entry screen, told which change to show again. */
const backTo = (kind: ChangeKind, id: string) => `${SCREENS[kind].back}from=${id}`;

/**
 * A confirmation opened or posted again after it was made or expired (a replayed form, the browser's
 * back button), or refused because another administrator changed what it edits: the list it belongs to,
 * with the message and the menu, instead of a bare error page or a form that can only fail again.
 */
async function expiredPage(db: Db, request: FastifyRequest, reply: FastifyReply, id: string, err: AppError) {
  const kind = await changeKindOf(db, actorOf(request), id);
  const message = err.localized(langOf(request));
  if (kind?.startsWith('group.')) return groupListPage(db, request, reply, { mode: 'list', error: message }, err.status);
  if (kind?.startsWith('user.') || kind?.startsWith('password.')) return userListPage(db, request, reply, { mode: 'list', error: message }, err.status);
  throw err;
}

const isExpired = (err: unknown): err is AppError => err instanceof AppError && err.code === 'change_expired';
const isEditConflict = (err: unknown, change: PendingChange): err is AppError =>
  err instanceof AppError && err.code === 'conflict' && (change.kind === 'group.update' || change.kind === 'user.update');

const CONFIRM_LABELS = {
  transactionPassword: BUSINESS_ID_TEXTS.confirmation.transactionPassword,
  mailToken: BUSINESS_ID_TEXTS.confirmation.mailToken,
};

/** The actor's own pending change, if the actor (as they are now) may still make it. */
async function loadConfirmable(db: Db, actor: Actor, id: string): Promise<PendingChange> {
  const change = await loadPendingChange(db, actor, id);
  if (!mayMakeChange(actor, change.kind)) throw new AppError(403, 'forbidden');
  return change;
}

/**
 * The change the URL names, or the reply already sent when it was made or expired meanwhile (the list
 * with the message): `undefined` then means the handler is done.
 */
async function confirmableOrListPage(db: Db, request: FastifyRequest, reply: FastifyReply, id: string): Promise<PendingChange | undefined> {
  try {
    return await loadConfirmable(db, actorOf(request), id);
  } catch (err) {
    if (isExpired(err)) {
      await expiredPage(db, request, reply, id, err);
      return undefined;
    }
    throw err;
  }
}

/** The confirmation screen: the change as it will be made, 取引パスワード and メールトークン. */
async function confirmPage(db: Db, request: FastifyRequest, reply: FastifyReply, pending: PendingChange, data: Record<string, unknown> = {}, status = 200) {
  const { customerId } = actorOf(request);
  const change = storedChange(pending);
  return render(request, reply, 'business-id/confirm', {
    t: textsOf(request), id: pending.id, change, back: backTo(change.kind, pending.id), otherRightKeys: OTHER_RIGHT_KEYS,
    accounts: await listOrdinaryAccounts(db, customerId), groups: await listGroups(db, customerId), users: await listUsers(db, customerId),
    ...data,
  }, status);
}

/** Issues a メールトークン (its mail commits with it) and delivers it now: the screen says so if it cannot. */
async function sendMailToken(deps: IbDeps, request: FastifyRequest, change: PendingChange): Promise<void> {
  const mailId = await issueMailToken(deps.db, deps.codeKey, actorOf(request), change, langOf(request));
  if ((await deps.mailer.deliverStored()).has(mailId)) throw new AppError(503, 'mail_unavailable');
}

/**
 * Delivers the mails a made change left in the outbox (they committed with it); how many of this change's
 * own could not be handed over is counted for the screen, not thrown.
 */
async function deliverAfterChange(deps: IbDeps, result: ApplyResult): Promise<number> {
  const failed = await deps.mailer.deliverStored();
  return result.mailIds.filter((id) => failed.has(id)).length;
}

/**
 * The confirmation screen shared by every ビジネスID管理 change (DESIGN §5): opening it mails a メールトークン
 * (once while one lives), 再発行 replaces it, and 登録/実行 makes the change with the 取引パスワード and token.
 */
export const confirmRoutes: FastifyPluginAsync<IbScreenOptions> = async function confirmRoutes(base, opts) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = opts;
  const session = requireSession(opts);

  app.get('/ib/confirm/:id', { schema: { params: ConfirmParams, querystring: ConfirmQuery }, preHandler: session }, async function showConfirmation(request, reply) {
    const actor = actorOf(request);
    const change = await confirmableOrListPage(db, request, reply, request.params.id);
    if (!change) return reply;
    let sent = false;
    if (!(await hasLiveMailToken(db, actor, change))) {
      await sendMailToken(opts, request, change);
      sent = true;
    }
    return confirmPage(db, request, reply, change, { sent, reissued: request.query.reissued === '1' });
  });

  app.post('/ib/confirm/:id/reissue', { schema: { params: ConfirmParams, body: ConfirmBody }, attachValidation: true, preHandler: [opts.verifyForm, session] }, async function reissueMailToken(request, reply) {
    // The token is replaced whatever else the form held (再発行 posts the confirmation form as it is).
    const change = await loadConfirmable(db, actorOf(request), request.params.id);
    await sendMailToken(opts, request, change);
    return reply.redirect(`/ib/confirm/${change.id}?reissued=1`, 303);
  });

  app.post('/ib/confirm/:id', { schema: { params: ConfirmParams, body: ConfirmBody }, attachValidation: true, preHandler: [opts.verifyForm, session] }, async function confirmAndApply(request, reply) {
    const actor = actorOf(request);
    const change = await confirmableOrListPage(db, request, reply, request.params.id);
    if (!change) return reply;
    const context = requestContext(request);
    let result: ApplyResult;
    try {
      if (request.validationError) throw invalidInput(request.validationError, CONFIRM_LABELS);
      result = await confirmChange(db, {
        codeKey: opts.codeKey, actor, changeId: change.id, transactionPassword: request.body.transactionPassword, mailToken: request.body.mailToken, context,
      }, (trx, stored) => applyChange(trx, { actor, codeKey: opts.codeKey, publicUrl: opts.config.publicUrl, context }, storedChange(stored)));
    } catch (err) {
      if (isExpired(err)) return expiredPage(db, request, reply, change.id, err);
      // Another administrator changed what this edit form showed: back to the list, with the refusal (409).
      if (isEditConflict(err, change)) return expiredPage(db, request, reply, change.id, err);
      const e = formError(err, langOf(request));
      return confirmPage(db, request, reply, change, { error: e.message }, e.status);
    }
    const mailFailures = await deliverAfterChange(opts, result);
    const applied = storedChange(change);
    const certificate = applied.kind === 'business_id.apply' && applied.payload.certificate;
    return render(request, reply, 'business-id/done', { t: textsOf(request), kind: applied.kind, certificate, summary: result.summary, mailFailures, ...SCREENS[applied.kind] });
  });
};
