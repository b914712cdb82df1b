import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { demoRedirectUri, DEMO_SCOPES } from './demo-client.ts';
import type { DemoContext } from './demo-context.ts';
import { CallbackQuery, FormBody, NoQuery } from './demo.schemas.ts';

/**
 * Linking an account: the landing page, 口座を連携する (PAR, then the bank's journey), the
 * authorization response, and 連携を解除する.
 */
export function demoLinkRoutes(parent: FastifyInstance, ctx: DemoContext): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { pages, sessions } = ctx;

  app.get('/demo', { schema: { querystring: NoQuery } }, async function landing(request, reply) {
    const s = sessions.currentOrStart(request, reply);
    return pages.render(reply, 'landing', { title: 'かんたん家計簿（デモ）', csrfToken: reply.formToken(), linked: Boolean(s.tokens) });
  });

  // 口座を連携する: PAR happens here, server-side (FAPI 2.0), then the browser goes to the bank.
  app.post('/demo/start', { schema: { body: FormBody }, attachValidation: true, preHandler: ctx.verifyForm }, async function startLinking(request, reply) {
    const s = sessions.current(request);
    if (!s || request.validationError) return pages.expired(reply);
    let url: URL;
    try {
      const configuration = await ctx.oauth.configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      s.dpopKeys = await client.randomDPoPKeyPair('ES256');
      s.dpop = client.getDPoPHandle(configuration, s.dpopKeys);
      s.pending = { state, codeVerifier };
      url = await client.buildAuthorizationUrlWithPAR(configuration, {
        redirect_uri: demoRedirectUri(ctx.config),
        scope: DEMO_SCOPES.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        ui_locales: 'ja',
      }, { DPoP: s.dpop });
    } catch (err) {
      return pages.unreachable(request, reply, err);
    }
    return reply.code(303).header('cache-control', 'no-store').redirect(url.href, 303);
  });

  // The authorization response (RFC 6749 §4.1.2, with iss per RFC 9207): state, iss and the code
  // are checked by openid-client, the code exchanged with the PKCE verifier and the session's DPoP key.
  app.get('/demo/callback', { schema: { querystring: CallbackQuery }, attachValidation: true }, async function linkingCallback(request, reply) {
    const s = sessions.current(request);
    if (!s?.pending || !s.dpop) return pages.expired(reply);
    const pending = s.pending;
    delete s.pending; // one attempt per start
    if (request.validationError) {
      request.log.info({ err: request.validationError }, 'demo: a malformed authorization response');
      return pages.invalidResponse(reply);
    }
    try {
      const tokens = await client.authorizationCodeGrant(await ctx.oauth.configuration(), new URL(request.url, `${ctx.config.publicUrl}/`),
        { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state }, undefined, { DPoP: s.dpop });
      ctx.api.keepTokens(s, tokens);
      s.newestDate = new Map();
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError) {
        request.log.info({ error: err.error }, 'demo: authorization refused');
        return pages.authorizationRefused(reply, err);
      }
      request.log.warn({ err }, 'demo: the authorization response was not accepted');
      return pages.invalidResponse(reply);
    }
    return reply.redirect('/demo/accounts', 303);
  });

  // 連携を解除する: revoke the refresh token (which ends the bank's grant), then forget the session.
  app.post('/demo/revoke', { schema: { body: FormBody }, attachValidation: true, preHandler: ctx.verifyForm }, async function unlink(request, reply) {
    const s = sessions.current(request);
    if (!s || request.validationError) return pages.expired(reply);
    const token = s.tokens?.refreshToken ?? s.tokens?.accessToken;
    if (token) {
      try {
        await client.tokenRevocation(await ctx.oauth.configuration(), token, { token_type_hint: s.tokens?.refreshToken ? 'refresh_token' : 'access_token' });
      } catch (err) {
        return pages.unreachable(request, reply, err); // the session stays, so 連携を解除する can be retried
      }
    }
    sessions.end(request, reply, s);
    return pages.message(reply, {
      title: '口座の連携を解除しました', kind: 'notice', message: 'かんたん家計簿は、今後この口座の情報を取得できません。銀行側の連携も終了しています。', back: '/demo',
    });
  });
}
