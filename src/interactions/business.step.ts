import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BUSINESS_SCOPES, businessScopesIn } from '../shared/scopes.ts';
import { CsrfField, currentInteraction, invalidField, langOf, NO_NUL, showStep, textsFor, UidParams, type Journey } from './journey-pages.ts';

const ScopeValue = Type.String({ maxLength: 32, pattern: NO_NUL });
const BusinessBody = Type.Object({
  // Checkboxes: absent, one value, or several.
  scope: Type.Optional(Type.Union([ScopeValue, Type.Array(ScopeValue, { maxItems: BUSINESS_SCOPES.length })])),
  ...CsrfField,
});

/** 手順2: 利用業務 — the choice narrows the grant to what the holder picked. */
export function businessStep(parent: FastifyInstance, journey: Journey): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/interaction/:uid/business', {
    schema: { params: UidParams, body: BusinessBody },
    attachValidation: true,
    preHandler: journey.verifyForm,
  }, async function chooseBusiness(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'select_business') return showStep(journey, request, reply, details);
    const chosen = invalidField(request) ? [] : [request.body.scope ?? []].flat();
    const scopes = businessScopesIn(details.params.scope).filter((s) => chosen.includes(s));
    if (scopes.length === 0) return showStep(journey, request, reply, details, 400, { error: textsFor(langOf(request, details)).errors.no_business });
    const to = await journey.provider.interactionResult(request.raw, reply.raw, { select_business: { scopes } }, { mergeWithLastSubmission: true });
    return reply.redirect(to, 303);
  });
}
