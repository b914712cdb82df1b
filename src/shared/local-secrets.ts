import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LocalSecrets {
  cookieKeys: string[];
  keyEncryptionKey: Buffer;
  /** INITIAL_ACCESS_TOKEN, or for the demo one generated and kept here (DESIGN §9: printed). */
  initialAccessToken: string | undefined;
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
  initialAccessToken: string | undefined;
  /** The demo prints an initial access token for the demo partner; production issues them per partner with the CLI. */
  seedDemoData: boolean;
}): Promise<LocalSecrets> {
  const wantsDemoToken = opts.seedDemoData && !opts.initialAccessToken;
  if (opts.cookieKeys && opts.keyEncryptionKey && !wantsDemoToken) {
    return { cookieKeys: opts.cookieKeys, keyEncryptionKey: opts.keyEncryptionKey, initialAccessToken: opts.initialAccessToken, generated: false };
  }
  const file = path.join(opts.dataDir, 'secrets.json');
  let stored: { cookieKeys?: string[]; keyEncryptionKey?: string; demoInitialAccessToken?: string } = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // first start
  }
  const next = {
    cookieKeys: stored.cookieKeys?.length ? stored.cookieKeys : [randomBytes(32).toString('base64url')],
    keyEncryptionKey: stored.keyEncryptionKey ?? randomBytes(32).toString('base64url'),
    ...(wantsDemoToken || stored.demoInitialAccessToken
      ? { demoInitialAccessToken: stored.demoInitialAccessToken ?? randomBytes(32).toString('base64url') }
      : {}),
  };
  if (next.cookieKeys !== stored.cookieKeys || next.keyEncryptionKey !== stored.keyEncryptionKey
    || next.demoInitialAccessToken !== stored.demoInitialAccessToken) {
    await mkdir(opts.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    cookieKeys: opts.cookieKeys ?? next.cookieKeys,
    keyEncryptionKey: opts.keyEncryptionKey ?? Buffer.from(next.keyEncryptionKey, 'base64url'),
    initialAccessToken: opts.initialAccessToken ?? (wantsDemoToken ? next.demoInitialAccessToken : undefined),
    generated: !(opts.cookieKeys && opts.keyEncryptionKey),
  };
}
