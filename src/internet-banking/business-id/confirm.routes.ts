import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { mayMakeChange, type Actor } from '../../business-id/actor.ts';
import { applyChange, storedChange, type ApplyResult, type ChangeKind } from '../../business-id/changes.ts';
import { confirmChange, hasLiveMailToken, issueMailToken, loadPendingChange, type PendingChange } from '../../business-id/confirmations.service.ts';
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

const GROUPS = '/ib/business-id/groups';
const USERS = '/ib/business-id/users';
const SETTINGS = '/ib/settings';

/** Where each kind of change was entered (戻る) and where its completion screen leads. */
const SCREENS: Record<ChangeKind, { back: string; next: string; nextLabel: 'toGroups' | 'toUsers' | 'close' }> = {
  'group.create': { back: GROUPS, next: GROUPS, nextLabel: 'toGroups' },
  'group.update': { back: GROUPS, next: GROUPS, nextLabel: 'toGroups' },
  'group.delete': { back: GROUPS, next: GROUPS, nextLabel: 'toGroups' },
  'user.create': { back: USERS, next: USERS, nextLabel: 'toUsers' },
  'user.update': { back: USERS, next: USERS, nextLabel: 'toUsers' },
  'user.delete': { back: USERS, next: USERS, nextLabel: 'close' },
  'password.login_reset': { back: USERS, next: USERS, nextLabel: 'close' },
  'password.transaction_reset': { back: USERS, next: USERS, nextLabel: 'close' },
  'business_id.apply': { back: SETTINGS, next: GROUPS, nextLabel: 'toGroups' },
  'business_id.cancel': { back: SETTINGS, next: SETTINGS, nextLabel: 'close' },
  'certificate_service.cancel': { back: SETTINGS, next: SETTINGS, nextLabel: 'close' },
};

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

/** The confirmation screen: the change as it will be made, 取引パスワード and メールトークン. */
async function confirmPage(db: Db, request: FastifyRequest, reply: FastifyReply, pending: PendingChange, data: Record<string, unknown> = {}, status = 200) {
  const { customerId } = actorOf(request);
  const change = storedChange(pending);
  return render(request, reply, 'business-id/confirm', {
    t: textsOf(request), id: pending.id, change, back: SCREENS[change.kind].back, otherRightKeys: OTHER_RIGHT_KEYS,
    accounts: await listOrdinaryAccounts(db, customerId), groups: await listGroups(db, customerId), users: await listUsers(db, customerId),
    ...data,
  }, status);
}

async function sendMailToken(deps: IbDeps, request: FastifyRequest, change: PendingChange): Promise<void> {
  const mail = await issueMailToken(deps.db, deps.codeKey, actorOf(request), change, langOf(request));
  await deps.mailer.send(mail);
}

/** Sends the mails of a change that is already made; a failure is counted for the screen, not thrown. */
async function sendAfterChange(deps: IbDeps, result: ApplyResult): Promise<number> {
  let failures = 0;
  for (const m of result.mails) {
    try {
      await deps.mailer.send(m);
    } catch {
      failures++;
    }
  }
  return failures;
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
    const change = await loadConfirmable(db, actor, request.params.id);
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
    const change = await loadConfirmable(db, actor, request.params.id);
    const context = requestContext(request);
    let result: ApplyResult;
    try {
      if (request.validationError) throw invalidInput(request.validationError, CONFIRM_LABELS);
      result = await confirmChange(db, {
        codeKey: opts.codeKey, actor, changeId: change.id, transactionPassword: request.body.transactionPassword, mailToken: request.body.mailToken, context,
      }, (trx, stored) => applyChange(trx, { actor, codeKey: opts.codeKey, publicUrl: opts.config.publicUrl, context }, storedChange(stored)));
    } catch (err) {
      const e = formError(err, langOf(request));
      if (e.status === 410) throw err;
      return confirmPage(db, request, reply, change, { error: e.message }, e.status);
    }
    const mailFailures = await sendAfterChange(opts, result);
    const kind = storedChange(change).kind;
    return render(request, reply, 'business-id/done', { t: textsOf(request), kind, summary: result.summary, mailFailures, ...SCREENS[kind] });
  });
};
