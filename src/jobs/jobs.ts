import type { Kysely } from 'kysely';
import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { purgeExpiredPasswordResets } from '../auth/password-reset-purge.ts';
import { purgeExpiredConfirmations } from '../business-id/confirmation-purge.ts';
import type { DatabaseKind } from '../db/create-db.ts';
import type { Database } from '../db/database.ts';
import { deleteExpiredPayloads } from '../oidc/payload-cleanup.ts';
import { endExpiredGrants, remindExpiringConsents } from '../partners/consent-expiry.service.ts';
import { purgeExpiredRevocations, purgeSpentProofs } from '../resource-api/spent-token-purge.ts';
import { executeDueTransfers, expireTransferApplications } from '../transfers/execution.ts';
import type { BankCa } from '../certificates/bank-ca.ts';
import { cancelStaleOrders } from '../certificates/orders.ts';
import { sendRenewalNotices } from '../certificates/renewal.ts';
import { currentCrl } from '../certificates/revocation.ts';
import { kyselyBossDb } from './boss-db.ts';

/**
 * Scheduled work (DESIGN §16): every sweep is a pg-boss queue with a cron schedule stored in the
 * database, so however many instances run jobs, each occurrence fires once; and every sweep is
 * idempotent on its own (what it sent is recorded under a unique key, what it ends or deletes is
 * decided by one conditional statement), so a retry, a restart or two instances working at once
 * never send or end anything twice. The sweeps are plain functions over the database that take the
 * time as a parameter; this file only passes them the clock.
 */

export interface JobsDeps {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** PostgreSQL: pg-boss keeps its own small pool on the same server. */
  databaseUrl: string | undefined;
  logger: Logger;
  /** Hands over the mail the sweeps wrote to the outbox (Mailer.deliverStored); returns the ids refused. */
  deliverMail: () => Promise<Set<string>>;
  config: {
    publicUrl: string; consentReminderDays: number;
    /** 電子証明書更新のご案内: how many days before expiry, and the mutual-TLS origin its renewal link opens. */
    certRenewalNoticeDays: number; mtlsPublicUrl: string;
  };
  /** The bank CA, whose CRL the sweep re-signs. */
  bankCa: () => Promise<BankCa>;
  /** How often an idle worker looks for work (default 10 s); tests shorten it. */
  pollingIntervalSeconds?: number;
}

interface Sweep {
  /** When it runs, Japan time. */
  cron: string;
  run(deps: JobsDeps, now: Date): Promise<Record<string, number>>;
}

const SWEEPS = {
  // API連携の有効期限のお知らせ during the day; a day missed is caught up by the next run (the window is days wide).
  'consent-expiry-reminders': {
    cron: '0 8-20 * * *',
    run: async (d, now) => {
      const written = await remindExpiringConsents(d.db, { now, reminderDays: d.config.consentReminderDays, linksUrl: `${d.config.publicUrl}/ib/links` });
      // Also what an earlier run (or a request) stored and did not hand over, e.g. before a crash.
      const refused = await d.deliverMail();
      return { written, refused: refused.size };
    },
  },
  // The resource API refuses an expired grant on its own; this closes it everywhere, with its audit row.
  'consent-expiry-ends': {
    cron: '*/5 * * * *',
    run: async (d, now) => ({ ended: await endExpiredGrants(d.db, { now }) }),
  },
  // Approved transfers whose designated date has come (DESIGN §17): each claimed by one conditional UPDATE,
  // so a retry, a restart or two instances execute it once. A new day's transfers go out within 5 minutes.
  'transfer-executions': {
    cron: '*/5 * * * *',
    run: async (d, now) => {
      const counts = await executeDueTransfers(d.db, now);
      // Mail only when a transfer was decided (the requester's notice); an idle minute hands nothing over.
      const refused = counts.executed + counts.failed > 0 ? (await d.deliverMail()).size : 0;
      return { ...counts, refused };
    },
  },
  // Applications not approved by their apply_end_at become 期限切れ (resultCode 8). Until the sweep runs,
  // readers already treat them as expired and approvals refuse them (both compare apply_end_at with now).
  'transfer-expiry': {
    cron: '*/5 * * * *',
    run: async (d, now) => {
      const expired = await expireTransferApplications(d.db, now);
      const refused = expired > 0 ? (await d.deliverMail()).size : 0;
      return { expired, refused };
    },
  },
  // 電子証明書更新のご案内 (DESIGN §14 Renewal) during the day; a day missed is caught up (the window is days wide).
  'certificate-renewal-notices': {
    cron: '30 8-20 * * *',
    run: async (d, now) => {
      const written = await sendRenewalNotices(d.db, {
        now, noticeDays: d.config.certRenewalNoticeDays, publicUrl: d.config.publicUrl, mtlsPublicUrl: d.config.mtlsPublicUrl,
      });
      const refused = await d.deliverMail();
      return { written, refused: refused.size };
    },
  },
  // Certificate orders not retrieved within 30 days are cancelled (seed 003 §5).
  'certificate-orders-expiry': {
    cron: '*/15 * * * *',
    run: async (d, now) => ({ cancelled: await cancelStaleOrders(d.db, { now }) }),
  },
  // The CRL is re-signed once it is a day old (and at once after a revocation, by whoever fetches it first).
  'certificate-crl': {
    cron: '5 * * * *',
    run: async (d) => ({ bytes: (await currentCrl(d.db, await d.bankCa())).length }),
  },
  'purge-expired': {
    cron: '*/5 * * * *',
    run: async (d, now) => ({
      oidcPayloads: await deleteExpiredPayloads(d.db, { now }),
      dpopProofs: await purgeSpentProofs(d.db, now),
      revokedAccessTokens: await purgeExpiredRevocations(d.db, now),
      ...(await purgeExpiredConfirmations(d.db, now)),
      passwordResets: await purgeExpiredPasswordResets(d.db, now),
    }),
  },
} satisfies Record<string, Sweep>;

export type SweepName = keyof typeof SWEEPS;

export interface JobRunner {
  /** Queues a sweep now (besides its schedule); false when one is already waiting. */
  runNow(name: SweepName): Promise<boolean>;
  /** Stops fetching, waits for the sweep in progress (up to `timeoutMs`), then releases the connections. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts pg-boss on the application's database (its own `pgboss` schema, created or migrated under an
 * advisory lock, so concurrent starts are safe), registers the sweeps' queues and schedules, and works
 * them in this process. Call after the application's migrations.
 */
export async function startJobs(deps: JobsDeps): Promise<JobRunner> {
  const boss = deps.kind === 'pglite'
    ? new PgBoss({ backend: 'pglite', db: kyselyBossDb(deps.db), schema: 'pgboss' })
    // Two connections: the sweeps' own statements go through the application's pool.
    : new PgBoss({ connectionString: deps.databaseUrl!, schema: 'pgboss', max: 2, application_name: 'renkei-jobs' });
  boss.on('error', (err) => deps.logger.warn({ err }, 'scheduled work: pg-boss reported an error'));
  boss.on('warning', (warning) => deps.logger.warn({ warning }, 'scheduled work: pg-boss warning'));
  await boss.start();
  for (const [name, sweep] of Object.entries(SWEEPS) as Array<[SweepName, Sweep]>) {
    // stately: at most one run waiting and one working, whatever the number of instances.
    await boss.createQueue(name, { policy: 'stately', retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 1800, deleteAfterSeconds: 86_400 });
    await boss.schedule(name, sweep.cron, null, { tz: 'Asia/Tokyo', missed: 'once' });
    await boss.work(name, { pollingIntervalSeconds: deps.pollingIntervalSeconds ?? 10, batchSize: 1 }, async () => {
      const started = performance.now();
      const counts = await sweep.run(deps, new Date());
      deps.logger.info({ sweep: name, ...counts, ms: Math.round(performance.now() - started) }, 'scheduled work done');
    });
  }
  return {
    async runNow(name) {
      return (await boss.send(name, null)) !== null;
    },
    async stop(timeoutMs = 10_000) {
      await boss.stop({ graceful: true, timeout: timeoutMs });
    },
  };
}
