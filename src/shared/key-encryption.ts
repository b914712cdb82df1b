import { compactDecrypt, CompactEncrypt, type JWK } from 'jose';

/**
 * The one way private keys are kept at rest (the authorization server's signing keys, the bank CA's
 * keys): a private JWK sealed as a compact JWE (dir, A256GCM) under KEY_ENCRYPTION_KEY.
 */
export async function sealPrivateJwk(jwk: JWK, kek: Buffer): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(jwk)))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'jwk+json' })
    .encrypt(kek);
}

/** The private JWK sealed by {@link sealPrivateJwk}; throws when the key encryption key is not the one that sealed it. */
export async function openPrivateJwk(jwe: string, kek: Buffer): Promise<JWK> {
  const { plaintext } = await compactDecrypt(jwe, kek, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
  return JSON.parse(new TextDecoder().decode(plaintext)) as JWK;
}
