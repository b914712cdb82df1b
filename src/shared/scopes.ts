/**
 * The scopes renkei knows (DESIGN §7), named once. The 利用業務 (business scopes) are the resource API's;
 * `openid` and `offline_access` are OpenID Connect's.
 */
export const SCOPE = {
  openid: 'openid',
  offlineAccess: 'offline_access',
  balances: 'balances',
  transactions: 'transactions',
  transfers: 'transfers',
} as const;

export type Scope = (typeof SCOPE)[keyof typeof SCOPE];

/** The resource API's scopes: 利用業務, in DESIGN §7's order. */
export const BUSINESS_SCOPES = [SCOPE.balances, SCOPE.transactions, SCOPE.transfers] as const;

export const OIDC_SCOPES: readonly string[] = [SCOPE.openid, SCOPE.offlineAccess];

/** Every scope a partner client may be allowed. */
export const KNOWN_SCOPES = [...OIDC_SCOPES, ...BUSINESS_SCOPES] as readonly Scope[];

/** The 利用業務 named in a space-separated scope string, in DESIGN §7's order. */
export function businessScopesIn(scope: unknown): string[] {
  const asked = String(scope ?? '').split(' ');
  return BUSINESS_SCOPES.filter((s) => asked.includes(s));
}
