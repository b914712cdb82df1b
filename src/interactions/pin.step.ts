import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { pinStatusOfVisibleAccounts, registerInquiryPin } from '../business-id/inquiry-pins.service.ts';
import { loginThrottle } from '../shared/login-throttle.ts';
import {
  CsrfField, currentInteraction, invalidField, langOf, NO_NUL, requestContext, showStep, textsFor, UidParams, uidOf, type Journey,
} from './journey-pages.ts';

/** An account's id as the page offers it: a UUID in its canonical form, nothing PostgreSQL could refuse. */
const AccountId = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });

const PinBody = Type.Object({
  account_id: Type.Optional(AccountId),
  pin: Type.String({ maxLength: 32, pattern: NO_NUL }),
  ...CsrfField,
});

/** 手順3: one account's 照会用暗証番号 (throttled per source address and per interaction); 手順4 確定. */
export function pinStep(parent: FastifyInstance, journey: Journey): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = journey;

  app.post('/interaction/:uid/pin', {
    schema: { params: UidParams, body: PinBody },
    attachValidation: true,
    preHandler: [journey.verifyForm, loginThrottle(parent, journey.config.loginThrottle, (request) => `interaction:${uidOf(request)}`)],
  }, async function registerPin(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'register_pin') return showStep(journey, request, reply, details);
    const t = textsFor(langOf(request, details));
    const invalid = invalidField(request);
    const accountId = request.body.account_id;
    if (invalid === 'pin' && typeof accountId === 'string') {
      return showStep(journey, request, reply, details, 400, { error: t.errors.pin_invalid_format, selected: accountId });
    }
    if (invalid || !accountId) return showStep(journey, request, reply, details, 400, { error: t.errors.pin_no_account });
    const r = await registerInquiryPin(db, { userId: details.session!.accountId, accountId, pin: request.body.pin, context: requestContext(request) });
    const again = (error: string) => showStep(journey, request, reply, details, 400, { error, selected: accountId });
    switch (r.outcome) {
      case 'registered': return reply.redirect(`/interaction/${details.uid}?view=result`, 303);
      case 'wrong_pin': return again(t.errors.pin_wrong(r.remainingAttempts));
      case 'locked': return again(t.errors.pin_locked);
      case 'invalid_format': return again(t.errors.pin_invalid_format);
      case 'not_available': return showStep(journey, request, reply, details, 400, { error: t.errors.pin_no_account });
    }
  });

  // 手順4 確定 (or 手順3 次へ once an account is registered).
  app.post('/interaction/:uid/pin/confirm', {
    schema: { params: UidParams, body: Type.Object(CsrfField) },
    attachValidation: true,
    preHandler: journey.verifyForm,
  }, async function confirmPins(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'register_pin') return showStep(journey, request, reply, details);
    const accounts = await pinStatusOfVisibleAccounts(db, details.session!.accountId);
    if (!accounts.some((a) => a.registered)) {
      return showStep(journey, request, reply, details, 400, { error: textsFor(langOf(request, details)).errors.pin_none_registered });
    }
    const to = await journey.provider.interactionResult(request.raw, reply.raw, { register_pin: { confirmed: true } }, { mergeWithLastSubmission: true });
    return reply.redirect(to, 303);
  });
}
