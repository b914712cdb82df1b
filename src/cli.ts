import { open, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { openConfiguredDb } from './db/create-db.ts';
import type { Database } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { purgeRetiredKeys, rotateSigningKeys } from './oidc/signing-keys.ts';
import { KNOWN_SCOPES } from './shared/scopes.ts';
import { issueInitialAccessToken, revokeInitialAccessTokens } from './partners/initial-access-tokens.ts';
import { resolveLocalSecrets } from './shared/local-secrets.ts';
import { isUuid } from './shared/ids.ts';
import { loadBankCa } from './certificates/bank-ca.ts';
import { PARTNER_CERTIFICATE_DAYS } from './certificates/partner-certificate.ts';
import { issueSandboxPartnerCertificate } from './partners/partner-certificates.ts';

/**
 * The bank operator's commands (`npm run cli -- <area> <command> [options]`), on the database the
 * configuration names. Every command prints what it did; secrets it creates are shown once.
 */
const USAGE = `usage: npm run cli -- <command>
  partners list
  partners add --legal-name <提供会社名> --service-name <サービス名> [--registration-number <登録番号>] [--website https://…]
  partners certificate --partner <partner id or service name> --out <file>.pfx [--days <validity>] [--legacy]
                                     sandbox client certificate (RFC 8705 tls_client_auth) from the bank CA
  iat issue --partner <partner id or service name> [--days <validity>]     initial access token for DCR (RFC 7591)
  iat revoke --partner <partner id or service name>
  clients list
  clients set <client_id> [--scopes balances,transactions,…] [--consent-days <n>] [--business-selection on|off] [--status active|disabled]
  keys list
  keys rotate                        new signing keys; the old ones stay published until purged
  keys purge --older-than-days <n>   drop retired keys (longer than any token they signed lives)`;

class UsageError extends Error {}

async function partnerId(db: Kysely<Database>, ref: string | undefined): Promise<string> {
  if (!ref) throw new UsageError('--partner is required');
  const q = db.selectFrom('partners').select(['id', 'service_name']);
  const rows = await (isUuid(ref) ? q.where('id', '=', ref) : q.where('service_name', '=', ref)).execute();
  if (rows.length !== 1) throw new UsageError(rows.length ? `several partners are called ${ref}: use the id` : `no partner ${ref}`);
  return rows[0]!.id;
}

export async function runCli(
  argv: string[], db: Kysely<Database>, kek: () => Promise<Buffer>, out: (line: string) => void,
  opts: { caFiles?: { certFile: string; keyFile: string } | undefined } = {},
): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'legal-name': { type: 'string' }, 'service-name': { type: 'string' }, 'registration-number': { type: 'string' },
      website: { type: 'string' }, partner: { type: 'string' }, days: { type: 'string' }, scopes: { type: 'string' },
      'consent-days': { type: 'string' }, 'business-selection': { type: 'string' }, status: { type: 'string' },
      'older-than-days': { type: 'string' }, out: { type: 'string' }, legacy: { type: 'boolean' },
    },
  });
  const [area, command, arg] = positionals;
  const int = (v: string | undefined, name: string, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  switch (`${area} ${command}`) {
    case 'partners list': {
      const rows = await db.selectFrom('partners').select(['id', 'legal_name', 'service_name', 'status']).orderBy('created_at').execute();
      for (const p of rows) out(`${p.id}  ${p.service_name}（${p.legal_name}）  ${p.status}`);
      return;
    }
    case 'partners add': {
      const legal = values['legal-name'];
      const service = values['service-name'];
      if (!legal || !service) throw new UsageError('--legal-name and --service-name are required');
      if (values.website && !values.website.startsWith('https://')) throw new UsageError('--website must be an https URL');
      const { id } = await db.insertInto('partners').values({
        legal_name: legal, service_name: service, registration_number: values['registration-number'] ?? null, website_url: values.website ?? null,
      }).returning('id').executeTakeFirstOrThrow();
      out(`partner ${id} added: ${service}（${legal}）`);
      return;
    }
    case 'partners certificate': {
      const pid = await partnerId(db, values.partner);
      const file = values.out;
      if (!file || !/\.(pfx|p12)$/i.test(file)) throw new UsageError('--out <file>.pfx is required');
      const days = values.days === undefined ? undefined : int(values.days, 'days', 1, PARTNER_CERTIFICATE_DAYS.max);
      const ca = await loadBankCa(db, { keyEncryptionKey: await kek(), files: opts.caFiles });
      // Created before anything is issued, never over an existing file (a key file someone holds stays
      // as it is), readable by its owner only.
      const handle = await open(file, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? new UsageError(`${file} exists: name a new file (an existing key file is never overwritten)`) : err;
      });
      let issued;
      try {
        issued = await issueSandboxPartnerCertificate(db, ca, { partnerId: pid, validityDays: days, profile: values.legacy ? 'legacy' : 'modern' });
        if (!issued) throw new UsageError(`partner ${pid} is not active`);
        await handle.writeFile(issued.pfx);
        await handle.close();
      } catch (err) {
        await handle.close();
        await rm(file, { force: true });
        throw err;
      }
      out(`client certificate for ${issued.partner.serviceName}（${issued.partner.legalName}） written to ${file}`);
      out(`  issued by ${ca.issuing.subject}, valid until ${issued.certificate.notAfter.toISOString()}, serial ${issued.certificate.serialNumber}`);
      out(`  SHA-256 thumbprint (x5t#S256 of its bound tokens) ${issued.x5tS256}`);
      out('register the client with token_endpoint_auth_method=tls_client_auth and');
      out(`  tls_client_auth_subject_dn: ${issued.subjectDn}`);
      out('PKCS#12 password (shown once):');
      out(issued.password);
      return;
    }
    case 'iat issue': {
      const pid = await partnerId(db, values.partner);
      const days = values.days === undefined ? undefined : int(values.days, 'days', 1, 365);
      const { token, expiresAt } = await issueInitialAccessToken(db, pid, days);
      out(`initial access token for partner ${pid} (shown once${expiresAt ? `, valid until ${expiresAt.toISOString()}` : ''}):`);
      out(token);
      return;
    }
    case 'iat revoke': {
      const n = await revokeInitialAccessTokens(db, await partnerId(db, values.partner));
      out(`${n} initial access token(s) revoked`);
      return;
    }
    case 'clients list': {
      const rows = await db.selectFrom('oauth_clients').innerJoin('partners', 'partners.id', 'oauth_clients.partner_id')
        .select(['client_id', 'service_name', 'allowed_scopes', 'consent_period_days', 'show_business_selection', 'oauth_clients.status'])
        .orderBy('oauth_clients.created_at').execute();
      for (const c of rows) {
        out(`${c.client_id}  ${c.service_name}  scopes=${c.allowed_scopes.join(',')}  consent=${c.consent_period_days}d  business-selection=${c.show_business_selection ? 'on' : 'off'}  ${c.status}`);
      }
      return;
    }
    case 'clients set': {
      if (!arg) throw new UsageError('clients set needs a client_id');
      const set: Record<string, unknown> = { updated_at: new Date() };
      if (values.scopes !== undefined) {
        const scopes = values.scopes.split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = scopes.filter((s) => !(KNOWN_SCOPES as readonly string[]).includes(s));
        if (unknown.length) throw new UsageError(`unknown scope(s): ${unknown.join(', ')}; known: ${KNOWN_SCOPES.join(', ')}`);
        set.allowed_scopes = scopes;
      }
      if (values['consent-days'] !== undefined) set.consent_period_days = int(values['consent-days'], 'consent-days', 1, 3650);
      if (values['business-selection'] !== undefined) {
        if (!['on', 'off'].includes(values['business-selection'])) throw new UsageError('--business-selection is on or off');
        set.show_business_selection = values['business-selection'] === 'on';
      }
      if (values.status !== undefined) {
        if (!['active', 'disabled'].includes(values.status)) throw new UsageError('--status is active or disabled');
        set.status = values.status;
      }
      const r = await db.updateTable('oauth_clients').set(set).where('client_id', '=', arg).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new UsageError(`no client ${arg}`);
      out(`client ${arg} updated`);
      return;
    }
    case 'keys list': {
      const rows = await db.selectFrom('signing_keys').select(['kid', 'alg', 'status', 'created_at', 'retired_at']).orderBy('created_at').execute();
      for (const k of rows) out(`${k.kid}  ${k.alg}  ${k.status}  created ${k.created_at.toISOString()}${k.retired_at ? `  retired ${k.retired_at.toISOString()}` : ''}`);
      return;
    }
    case 'keys rotate': {
      const kids = await rotateSigningKeys(db, await kek());
      out(`new signing keys ${kids.join(', ')}; restart every instance to sign with them (the old keys stay published)`);
      return;
    }
    case 'keys purge': {
      const days = int(values['older-than-days'], 'older-than-days', 1, 3650);
      out(`${await purgeRetiredKeys(db, days * 86_400)} retired key(s) purged`);
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}

async function main(): Promise<number> {
  const config = loadConfig(process.env);
  const handle = await openConfiguredDb(config, 2);
  try {
    await migrateToLatest(handle.db);
    const kek = async () => (await resolveLocalSecrets(config)).keyEncryptionKey;
    await runCli(process.argv.slice(2), handle.db, kek, (line) => process.stdout.write(`${line}\n`), { caFiles: config.ca });
    return 0;
  } finally {
    await handle.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(`cli: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
      process.exit(usage ? 64 : 1);
    },
  );
}
