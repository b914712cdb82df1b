import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { loginWithPassword } from '../auth/password-login.service.ts';
import { loginThrottle } from '../shared/login-throttle.ts';
import { CsrfField, currentInteraction, invalidField, langOf, NO_NUL, requestContext, showStep, textsFor, UidParams, type Journey } from './journey-pages.ts';

const LoginBody = Type.Object({
  login_id: Type.String({ maxLength: 64, pattern: NO_NUL }),
  password: Type.String({ maxLength: 256, pattern: NO_NUL }),
  ...CsrfField,
});

/** The login ID an attempt counts against, read from the parsed form before the handler runs. */
function loginIdOf(request: FastifyRequest): string | undefined {
  const body = request.body;
  return typeof body === 'object' && body !== null && 'login_id' in body && typeof body.login_id === 'string' ? body.login_id : undefined;
}

/** 手順1-2: login ID and password (throttled per source address and per login ID). */
export function loginStep(parent: FastifyInstance, journey: Journey): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/interaction/:uid/login', {
    schema: { params: UidParams, body: LoginBody },
    attachValidation: true,
    preHandler: [journey.verifyForm, loginThrottle(parent, journey.config.loginThrottle, loginIdOf)],
  }, async function submitLogin(request, reply) {
    const details = await currentInteraction(journey, request, reply);
    if (!details) return reply;
    if (details.prompt.name !== 'login') return showStep(journey, request, reply, details);
    const t = textsFor(langOf(request, details));
    // A malformed form gets the answer a wrong password gets: nothing tells what was wrong with it.
    if (invalidField(request)) return showStep(journey, request, reply, details, 400, { error: t.errors.invalid_credentials });
    const { login_id: loginId, password } = request.body;
    const result = await loginWithPassword(journey.db, { loginId: loginId.trim(), password, channel: 'api_consent', context: requestContext(request) });
    if (!result.ok) return showStep(journey, request, reply, details, 400, { error: t.errors[result.reason], loginId });
    const to = await journey.provider.interactionResult(request.raw, reply.raw, {
      login: { accountId: result.user.id, acr: 'urn:renkei:acr:password', amr: ['pwd'], ts: Math.floor(Date.now() / 1000), remember: false },
    }, { mergeWithLastSubmission: false });
    return reply.redirect(to, 303);
  });
}
