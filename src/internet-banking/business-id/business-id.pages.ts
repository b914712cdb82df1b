import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../business-id/actor.ts';
import { checkChange, type Change } from '../../business-id/changes.ts';
import { proposeChange } from '../../business-id/confirmations.service.ts';
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
