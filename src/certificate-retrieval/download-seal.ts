import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * The 証明書ダウンロード page must hand the 鍵保護パスワード to the download request (the key is made
 * only then), and the server keeps no secret between requests: the password travels back in the page,
 * sealed with AES-256-GCM under a key derived from the cookie key, bound to the order (or certificate)
 * it was set for and valid for a few minutes. Nobody but this server can open it; it is never logged.
 */
const SEAL_MINUTES = 30;

function sealKey(cookieKey: string): Buffer {
  return createHmac('sha256', cookieKey).update('renkei certificate download seal').digest();
}

export function sealPassword(cookieKey: string, boundTo: string, password: string, now: Date): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(cookieKey), iv);
  cipher.setAAD(Buffer.from(boundTo));
  const body = Buffer.from(JSON.stringify({ p: password, e: now.getTime() + SEAL_MINUTES * 60_000 }));
  const ciphertext = Buffer.concat([cipher.update(body), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

/** The sealed password, or undefined when forged, for another order, or too old. Tries every cookie key (rotation). */
export function openPassword(cookieKeys: string[], boundTo: string, sealed: string, now: Date): string | undefined {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 29) return undefined;
  for (const key of cookieKeys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', sealKey(key), raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(raw.subarray(12, 28));
      const body = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString()) as { p?: unknown; e?: unknown };
      if (typeof body.p !== 'string' || typeof body.e !== 'number' || body.e <= now.getTime()) return undefined;
      return body.p;
    } catch {
      // another key, or forged
    }
  }
  return undefined;
}
