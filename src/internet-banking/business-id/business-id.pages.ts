import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../business-id/actor.ts';
import { checkChange, storedChange, type Change, type ChangeKind } from '../../business-id/changes.ts';
import { loadPendingChange, proposeChange } from '../../business-id/confirmations.service.ts';
import type { Db } from '../../db/transaction.ts';
import { AppError } from '../../shared/errors.ts';
import { translate } from '../../shared/i18n.ts';
import { langOf } from '../ib-pages.ts';
import { BUSINESS_ID_TEXTS } from './business-id.texts.ts';

/** The actor `requireSession` put on the request; a route without that preHandler fails loudly. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.ibActor) throw new AppError(401, 'session_expired');
  return request.ibActor;
}

/** The screens' texts in the request's language, for the templates' `t`. */
export function textsOf(request: FastifyRequest) {
  return translate(BUSINESS_ID_TEXTS, langOf(request));
}

/**
 * Checks a change against every rule, stores it, and sends the browser to the confirmation screen
 * (nothing changes before the 取引パスワード and メールトークン are given there).
 */
export async function propose(db: Db, request: FastifyRequest, reply: FastifyReply, change: Change) {
  const actor = actorOf(request);
  await checkChange(db, actor, change);
  const id = await proposeChange(db, actor, change.kind, change.payload);
  return reply.redirect(`/ib/confirm/${id}`, 303);
}

function isKind<K extends ChangeKind>(change: Change, kind: K): change is Extract<Change, { kind: K }> {
  return change.kind === kind;
}

/**
 * The input of the actor's own unconfirmed change `from` of this kind, for a form opened by 戻る on the
 * confirmation screen: the form shows again with everything entered. Undefined (an empty form) when
 * there is no such change any more.
 */
export async function pendingInput<K extends ChangeKind>(db: Db, request: FastifyRequest, kind: K, from: string | undefined): Promise<Extract<Change, { kind: K }> | undefined> {
  if (!from) return undefined;
  try {
    const change = storedChange(await loadPendingChange(db, actorOf(request), from, kind));
    return isKind(change, kind) ? change : undefined;
  } catch (err) {
    if (err instanceof AppError && err.status < 500) return undefined;
    throw err;
  }
}
