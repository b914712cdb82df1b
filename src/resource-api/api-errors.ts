import type { CustomerKind } from '../db/database.ts';
import { AppError, GMO_API_BASES } from '../shared/errors.ts';
import { defineTexts } from '../shared/i18n.ts';

/** The DPoP algorithms the resource API accepts (DESIGN §7), advertised in challenges (RFC 9449 §7.1). */
export const DPOP_ALGS = ['ES256', 'PS256', 'EdDSA'] as const;

export type Scheme = 'DPoP' | 'Bearer';

function challenge(scheme: Scheme | 'both', params: Record<string, string>): string {
  const quoted = Object.entries(params).map(([k, v]) => `${k}="${v.replace(/["\\]/g, '')}"`).join(', ');
  const dpop = `DPoP ${[quoted, `algs="${DPOP_ALGS.join(' ')}"`].filter(Boolean).join(', ')}`;
  const bearer = quoted ? `Bearer ${quoted}` : 'Bearer';
  return scheme === 'both' ? `${dpop}, ${bearer}` : scheme === 'DPoP' ? dpop : bearer;
}

/**
 * 401 invalid_token (DESIGN §8) with the RFC 6750 §3 / RFC 9449 §7.1 challenge. Without any
 * credentials the challenge carries no error code (RFC 6750 §3.1).
 */
export function invalidToken(scheme: Scheme | 'both', description: string, opts: { noCredentials?: boolean } = {}): AppError {
  return new AppError(401, 'invalid_token', {
    headers: { 'www-authenticate': challenge(scheme, opts.noCredentials ? {} : { error: 'invalid_token', error_description: description }) },
    detail: description,
  });
}

export function invalidDpopProof(description: string, extraHeaders: Record<string, string> = {}): AppError {
  return new AppError(401, 'invalid_dpop_proof', {
    headers: { 'www-authenticate': challenge('DPoP', { error: 'invalid_dpop_proof', error_description: description }), ...extraHeaders },
    detail: description,
  });
}

/** RFC 9449 §8: the client must retry with the nonce given in the DPoP-Nonce header. */
export function useDpopNonce(nonce: string): AppError {
  return new AppError(401, 'invalid_dpop_proof', {
    message: { ja: 'DPoP証明にnonceが必要です。DPoP-Nonceの値で再送してください。', en: 'The DPoP proof must carry the nonce from the DPoP-Nonce header.' },
    headers: { 'www-authenticate': challenge('DPoP', { error: 'use_dpop_nonce', error_description: 'resource server requires nonce in DPoP proof' }), 'dpop-nonce': nonce },
  });
}

export function insufficientScope(scheme: Scheme, scope: string): AppError {
  return new AppError(403, 'insufficient_scope', {
    headers: { 'www-authenticate': challenge(scheme, { error: 'insufficient_scope', scope }) },
  });
}

/** The same answer for an unknown account, one outside the grant, and one the user may no longer see. */
export const accountForbidden = () => new AppError(403, 'account_forbidden');

const KIND_MESSAGES = defineTexts({
  corporate: {
    ja: `このAPIは法人のお客さま向けです。個人のお客さまの口座は ${GMO_API_BASES.personal} で照会してください。`,
    en: `This API serves corporate customers; read an individual customer's accounts under ${GMO_API_BASES.personal}.`,
  },
  individual: {
    ja: `このAPIは個人のお客さま向けです。法人のお客さまの口座は ${GMO_API_BASES.corporation} で照会してください。`,
    en: `This API serves individual customers; read a corporate customer's accounts under ${GMO_API_BASES.corporation}.`,
  },
});

/**
 * GMO serves 法人 and 個人 as two APIs (corporateclient / personalclient); under their base paths a
 * token of the other kind of customer is refused, naming the right path. The token itself is fine,
 * so there is no challenge.
 */
export const wrongCustomerKind = (served: CustomerKind) => new AppError(403, 'forbidden', { message: KIND_MESSAGES[served] });
