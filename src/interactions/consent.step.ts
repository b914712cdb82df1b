import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { denyJourney } from './abort.step.ts';
import { grantConsent, nothingToAllow } from './consent-coverage.ts';
import { AccountId, CsrfField, currentInteraction, invalidField, langOf, rememberJourney, requestContext, showStep, textsFor, UidParams, type Journey } from './journey-pages.ts';

const ConsentBody = Type.Object({
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  // 許可する口座: checkboxes, so absent, one value, or several.
  account_id: Type.Optional(Type.Union([AccountId, Type.Array(AccountId, { maxItems: 200 })])),
  // The checkbox 許可手続きを継続する: `on` when ticked, absent otherwise.
  continue: Type.Optional(Type.String({ maxLength: 10 })),
  ...CsrfField,
});

/** 手順5: 許可 (with the checkbox) or 拒否. */
export function consentStep(parent: FastifyInstance, journey: Journey): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/interaction/:uid/consent', {
    schema: { params: UidParams, body: ConsentBody },
    attachValidation: true,
    preHandler: journey.verifyForm,
  }, async function decideConsent(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'consent') return showStep(journey, request, reply, details);
    const t = textsFor(langOf(request, details));
    if (invalidField(request)) return showStep(journey, request, reply, details, 400, { error: t.errors.invalid_form });
    if (request.body.decision === 'deny') {
      // With nothing to allow the holder could only end the journey: the partner learns why.
      return denyJourney(journey, request, reply, details, (await nothingToAllow(journey, details)) ? 'no_accounts' : 'consent_denied');
    }
    const ticked = [request.body.account_id ?? []].flat();
    if (request.body.continue !== 'on') return showStep(journey, request, reply, details, 400, { error: t.errors.consent_unchecked, ticked });
    const granted = await grantConsent(journey, details, ticked, requestContext(request));
    if (!granted.ok && granted.reason === 'no_account_ticked') {
      return showStep(journey, request, reply, details, 400, { error: t.errors.no_account_ticked, accountError: true, ticked });
    }
    if (!granted.ok) return showStep(journey, request, reply, details, 400, { error: t.errors.no_accounts });
    const to = await journey.provider.interactionResult(request.raw, reply.raw, { consent: { grantId: granted.oidcGrantId } }, { mergeWithLastSubmission: true });
    rememberJourney(request, reply, details, true);
    return reply.redirect(to, 303);
  });
}
