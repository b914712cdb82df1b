import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LocalSecrets {
  cookieKeys: string[];
  keyEncryptionKey: Buffer;
  /** True when at least one secret was not configured and comes from DATA_DIR/secrets.json. */
  generated: boolean;
}

/**
 * COOKIE_KEYS and KEY_ENCRYPTION_KEY for a demo or a single instance: what the environment gives,
 * otherwise random values generated once and kept (mode 0600) in DATA_DIR/secrets.json, so restarts
 * keep sessions and encrypted keys readable. Several instances must share configured values instead.
 */
export async function resolveLocalSecrets(opts: {
  dataDir: string;
  cookieKeys: string[] | undefined;
  keyEncryptionKey: Buffer | undefined;
}): Promise<LocalSecrets> {
  if (opts.cookieKeys && opts.keyEncryptionKey) {
    return { cookieKeys: opts.cookieKeys, keyEncryptionKey: opts.keyEncryptionKey, generated: false };
  }
  const file = path.join(opts.dataDir, 'secrets.json');
  let stored: { cookieKeys?: string[]; keyEncryptionKey?: string } = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // first start
  }
  const next = {
    cookieKeys: stored.cookieKeys?.length ? stored.cookieKeys : [randomBytes(32).toString('base64url')],
    keyEncryptionKey: stored.keyEncryptionKey ?? randomBytes(32).toString('base64url'),
  };
  if (next.cookieKeys !== stored.cookieKeys || next.keyEncryptionKey !== stored.keyEncryptionKey) {
    await mkdir(opts.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    cookieKeys: opts.cookieKeys ?? next.cookieKeys,
    keyEncryptionKey: opts.keyEncryptionKey ?? Buffer.from(next.keyEncryptionKey, 'base64url'),
    generated: true,
  };
}
