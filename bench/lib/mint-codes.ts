import { createHash, randomBytes } from 'node:crypto';
import type { Provider } from 'oidc-provider';

/** What a finished journey leaves behind, as the load generator will redeem it. */
export interface MintSpec {
  clientId: string;
  /** The user (oidc-provider accountId = users.id). */
  accountId: string;
  redirectUri: string;
  /** RFC 7638 thumbprint of the load generator's DPoP key: PAR's dpop_jkt, copied into the code. */
  dpopJkt: string;
  /** The resource indicator (the API audience) and the 利用業務 granted for it. */
  resource: string;
  resourceScope: string;
  /** The OIDC scopes granted, e.g. 'openid offline_access'. */
  oidcScope: string;
  grantSeconds: number;
  /**
   * As a journey leaves codes today: PAR drops offline_access from the request (it lives only in the
   * Grant), so the code's scope lacks it, the provider marks the code `expiresWithSession`, and the
   * token endpoint looks the Session up (one more adapter read); the refresh token inherits the
   * binding. False: offline_access in the code's scope, no Session (as `prompt=consent` would give).
   */
  sessionBound: boolean;
}

export interface MintedCode {
  code: string;
  verifier: string;
}

/**
 * Mints authorization codes in-process through the provider's own models, so they are stored by the
 * server's adapter (PostgreSQL for renkei, memory for the baseline): per code a Grant as the consent
 * step saves it (OIDC scopes, the `sub` claim, the resource scope) and an AuthorizationCode as the
 * authorization endpoint saves it after the last prompt (PKCE S256, redirect_uri, resource, dpop_jkt,
 * scope, auth_time, a session uid) and, when `sessionBound`, the login Session it is bound to.
 */
export async function mintCodes(provider: Provider, spec: MintSpec, count: number, concurrency = 16): Promise<{ codes: MintedCode[]; grantIds: string[] }> {
  const client = await provider.Client.find(spec.clientId);
  if (!client) throw new Error(`client ${spec.clientId} not found`);
  const oidcScopes = spec.oidcScope.split(' ').filter((x) => !spec.sessionBound || x !== 'offline_access');
  const scope = [...oidcScopes, spec.resourceScope].join(' ');
  const codes: MintedCode[] = new Array(count);
  const grantIds: string[] = new Array(count);
  let i = 0;
  const worker = async () => {
    for (let n = i++; n < count; n = i++) {
      const grant = new provider.Grant({ accountId: spec.accountId, clientId: spec.clientId, expiresIn: spec.grantSeconds } as ConstructorParameters<Provider['Grant']>[0]);
      grant.addOIDCScope(spec.oidcScope);
      grant.addOIDCClaims(['sub']);
      grant.addResourceScope(spec.resource, spec.resourceScope);
      const grantId = await grant.save();
      const verifier = randomBytes(32).toString('base64url');
      const sessionUid = randomBytes(32).toString('base64url');
      if (spec.sessionBound) {
        const Session = provider.Session as unknown as new (payload: Record<string, unknown>) => { save(ttl: number): Promise<string> };
        const session = new Session({
          jti: randomBytes(32).toString('base64url'), uid: sessionUid, accountId: spec.accountId, loginTs: Math.floor(Date.now() / 1000),
          authorizations: { [spec.clientId]: { grantId, persistsLogout: false } },
        });
        await session.save(600);
      }
      const code = new provider.AuthorizationCode({
        accountId: spec.accountId,
        authTime: Math.floor(Date.now() / 1000),
        client,
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        codeChallengeMethod: 'S256',
        grantId,
        redirectUri: spec.redirectUri,
        resource: spec.resource,
        scope,
        sessionUid,
        dpopJkt: spec.dpopJkt,
        ...(spec.sessionBound ? { expiresWithSession: true } : {}),
      } as unknown as ConstructorParameters<Provider['AuthorizationCode']>[0]);
      codes[n] = { code: await code.save(), verifier };
      grantIds[n] = grantId;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { codes, grantIds };
}
