import { defineTexts } from './i18n.ts';

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

/** 利用業務 by their names on the consent journey and in internet banking (DESIGN §6, §15): one catalog for every screen. */
export const BUSINESS_SCOPE_NAMES = defineTexts({
  balances: { ja: '残高照会', en: 'Balances' },
  transactions: { ja: '入出金明細照会', en: 'Statements' },
  transfers: { ja: '振込', en: 'Transfers' },
} satisfies Record<(typeof BUSINESS_SCOPES)[number], unknown>);

export const OIDC_SCOPES: readonly string[] = [SCOPE.openid, SCOPE.offlineAccess];

/** Every scope a partner client may be allowed. */
export const KNOWN_SCOPES = [...OIDC_SCOPES, ...BUSINESS_SCOPES] as readonly Scope[];

/** The 利用業務 named in a space-separated scope string, in DESIGN §7's order. */
export function businessScopesIn(scope: unknown): string[] {
  const asked = String(scope ?? '').split(' ');
  return BUSINESS_SCOPES.filter((s) => asked.includes(s));
}
