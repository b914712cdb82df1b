import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * ES256 compact JWS for the load generator: client assertions (private_key_jwt) and DPoP proofs,
 * signed in bulk with node:crypto before a sample so signing never throttles the load. The output is
 * an ordinary JWS (ECDSA P-256, IEEE P1363 signature), exactly what jose or oauth4webapi produce.
 */
export interface Es256Key {
  privateKey: KeyObject;
  publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** RFC 7638 thumbprint of the public key (DPoP `jkt`). */
  thumbprint: string;
}

export function generateEs256(): Es256Key {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x, y: jwk.y };
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y })).digest('base64url');
  return { privateKey, publicJwk, thumbprint };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export function signEs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

export const jti = () => randomBytes(16).toString('base64url');

/** private_key_jwt (RFC 7523): iss = sub = client_id, aud = the issuer, a unique jti, short-lived. */
export function clientAssertion(client: { clientId: string; kid: string; key: KeyObject }, issuer: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signEs256(
    { alg: 'ES256', kid: client.kid, typ: 'JWT' },
    { iss: client.clientId, sub: client.clientId, aud: issuer, jti: jti(), iat: now, nbf: now, exp: now + 120 },
    client.key,
  );
}

/** DPoP proof (RFC 9449 §4.2) for one request. */
export function dpopProof(key: Es256Key, htm: string, htu: string): string {
  return signEs256({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk }, { htm, htu, jti: jti(), iat: Math.floor(Date.now() / 1000) }, key.privateKey);
}
