import type { Config } from './config/config.schema.ts';
import type { DatabaseKind } from './db/create-db.ts';

/** What `npm start` prints once both listeners are up: where to go and how to log in (DESIGN §9). */
export function startupBanner(opts: {
  config: Readonly<Config>;
  database: DatabaseKind;
  tlsSource: string;
  readyMs: number;
  /** The seeded demo's credential lines (server.ts, the seeding entry point, formats them); absent without demo data. */
  demoCredentials?: string[] | undefined;
  initialAccessToken?: string | undefined;
}): string {
  const { config } = opts;
  const demo = opts.demoCredentials !== undefined;
  const lines = [
    '',
    `renkei is ready (${opts.readyMs} ms after start)`,
    '',
    ...(demo ? [`  Try the demo first  ${config.publicUrl}/demo   (かんたん家計簿: press 口座を連携する)`] : []),
    `  Bank site           ${config.publicUrl}/`,
    `  Mutual-TLS origin   ${config.mtlsPublicUrl}/`,
    `  Readiness           ${config.publicUrl}/readyz`,
    `  Database            ${opts.database === 'pglite' ? `embedded PGlite in ${config.dataDir}/pglite` : 'PostgreSQL (DATABASE_URL)'}`,
    `  TLS certificate     ${opts.tlsSource === 'configured' ? 'configured files' : `self-signed, ${config.dataDir}/tls/server.crt (the browser will warn once)`}`,
  ];
  if (opts.demoCredentials) {
    lines.push('', ...opts.demoCredentials);
    if (opts.initialAccessToken) {
      lines.push('', 'initial access token for dynamic client registration (RFC 7591) by the demo partner:',
        `  ${opts.initialAccessToken}`, `  POST ${config.publicUrl}/oauth2/register with "Authorization: Bearer <token>"`);
    }
  }
  lines.push('', 'Stop with Ctrl+C.', '');
  return `${lines.join('\n')}\n`;
}
