import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/audit.repository.ts';
import { findUserIdentity } from '../business-id/user-lookup.repository.ts';
import { CsrfField, currentInteraction, rememberJourney, requestContext, UidParams, type Details, type Journey } from './journey-pages.ts';

type DenialReason = 'consent_denied' | 'journey_aborted' | 'no_accounts';

/**
 * What the partner reads in `error_description` with `access_denied`: one fixed text per way a journey
 * ends without a grant, so the partner can tell the holder what happened (an expired journey has its
 * own, see JOURNEY_EXPIRED_DESCRIPTION).
 */
const DENIAL_DESCRIPTIONS: Record<DenialReason, string> = {
  consent_denied: 'the account holder denied the access',
  journey_aborted: 'the account holder cancelled',
  no_accounts: 'no account can be connected',
};

/**
 * Ends the journey without a grant: the holder's 拒否 (step 5), 手続きを終了する when step 5 has no
 * account to offer, or 中止 (any step). The bank keeps an audit event; the client receives
 * `access_denied` with the reason's description.
 */
export async function denyJourney(journey: Journey, request: FastifyRequest, reply: FastifyReply, details: Details, reason: DenialReason) {
  const userId = details.session?.accountId;
  const user = userId ? await findUserIdentity(journey.db, userId) : undefined;
  await recordAudit(journey.db, {
    type: 'consent.denied', outcome: 'failure', customerId: user?.customerId ?? null, actorUserId: userId ?? null,
    actorLoginId: user?.loginId ?? null, details: { clientId: details.params.client_id, reason, step: details.prompt.name }, context: requestContext(request),
  });
  const to = await journey.provider.interactionResult(request.raw, reply.raw, {
    error: 'access_denied', error_description: DENIAL_DESCRIPTIONS[reason],
  }, { mergeWithLastSubmission: false });
  rememberJourney(request, reply, details, true);
  return reply.redirect(to, 303);
}

/** 中止 on any step. */
export function abortStep(parent: FastifyInstance, journey: Journey): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/interaction/:uid/abort', {
    schema: { params: UidParams, body: Type.Object(CsrfField) },
    attachValidation: true,
    preHandler: journey.verifyForm,
  }, async function abortJourney(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    return denyJourney(journey, request, reply, details, 'journey_aborted');
  });
}
