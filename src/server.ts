import cluster from 'node:cluster';
import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { createAuthorizationServer } from './oidc/authorization-server.ts';
import { ConfigError, loadConfig } from './config/load-config.ts';
import { openConfiguredDb } from './db/create-db.ts';
import { migrateToLatest } from './db/migrate.ts';
import { DEMO_CERTIFICATE, formatDemoCredentials } from './db/seed/demo-data.ts';
import { startJobs, type JobRunner } from './jobs/jobs.ts';
import { createMailer } from './mail/mailer.ts';
import { seedDemoData } from './db/seed/seed.ts';
import { startupBanner } from './startup-banner.ts';
import { createLogger } from './shared/logger.ts';
import { resolveLocalSecrets } from './shared/local-secrets.ts';
import { loadServerTls } from './tls/server-certificate.ts';
import { mutualTlsOptions } from './tls/mutual-tls.ts';
import { caCertificatesPem, loadBankCa } from './certificates/bank-ca.ts';
import { ensureDemoCertificate } from './certificates/demo-certificate.ts';
import { armCrashPoint } from './shared/crash-points.ts';
import { superviseWorkers, WORKER_READY, WORKER_SHUTDOWN } from './cluster.ts';

/**
 * Entry point (the only reader of process.env and the only file that listens): configuration,
 * database, migrations, demo data, TLS, the two HTTPS listeners, and a graceful close. With WORKERS > 1
 * the first process only supervises (src/cluster.ts) and each of its workers runs all of this.
 */
async function main(): Promise<void> {
  // A worker told to stop before it got as far as its graceful close has nothing to close yet.
  let closeGracefully = (): void => process.exit(0);
  if (cluster.isWorker) process.on('message', (msg) => msg === WORKER_SHUTDOWN && closeGracefully());
  let config;
  try {
    config = loadConfig(process.env);
    armCrashPoint(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`renkei: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Workers' lines carry their pid and worker number: which process said what.
  const logger = cluster.isWorker ? createLogger(config.logLevel).child({ pid: process.pid, worker: cluster.worker!.id }) : createLogger(config.logLevel);
  if (cluster.isPrimary && config.workers > 1) {
    superviseWorkers({ count: config.workers, graceMs: config.shutdownGraceMs, logger });
    return;
  }
  const secrets = await resolveLocalSecrets(config);
  if (secrets.generated) {
    logger.warn({ file: path.join(config.dataDir, 'secrets.json') },
      'COOKIE_KEYS / KEY_ENCRYPTION_KEY not configured: using generated values kept in the data directory');
  }

  const database = await openConfiguredDb(config);
  logger.info({ database: database.kind }, 'database opened');
  if (config.migrateOnStart) {
    // A migration may rewrite large tables, or wait for another instance's migration lock: on
    // PostgreSQL it gets its own connection without the request path's statement budget.
    const migrationDb = database.kind === 'postgres' ? await openConfiguredDb(config, 1, { statementTimeoutMs: 0 }) : database;
    try {
      const applied = await migrateToLatest(migrationDb.db);
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    } finally {
      if (migrationDb !== database) await migrationDb.close();
    }
  }
  if (config.seedDemoData) {
    const summary = await seedDemoData(database.db, { initialAccessToken: secrets.initialAccessToken });
    logger.info({ summary }, 'demo data checked');
  }

  const hostnames = [new URL(config.publicUrl).hostname, new URL(config.mtlsPublicUrl).hostname]
    .map((h) => h.replace(/^\[|\]$/g, ''));
  const tls = await loadServerTls({ ...config.tls ? { certFile: config.tls.certFile, keyFile: config.tls.keyFile } : {}, dataDir: config.dataDir, hostnames });
  // The bank CA (DESIGN §14): created on the first start, shared by every instance through the database.
  const bankCa = await loadBankCa(database.db, { keyEncryptionKey: secrets.keyEncryptionKey, files: config.ca });
  logger.info({ ca: bankCa.source, issuer: bankCa.issuing.subject }, 'bank CA loaded');
  // The demo certificate customer's .pfx (DESIGN §9), issued on the first start and printed below.
  const demoCertificateFile = config.seedDemoData
    ? await ensureDemoCertificate(database.db, bankCa, { ...DEMO_CERTIFICATE, dataDir: config.dataDir, crlUrl: `${config.publicUrl}/pki/crl`, validityDays: config.certValidityDays })
    : undefined;
  const base = { config, db: database.db, logger, secrets, bankCa };
  const deps = { ...base, provider: await createAuthorizationServer({ ...base, listen: database.listen }) };
  const tlsBase = { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' as const };
  const main = await buildApp(deps, { listener: 'main', https: tlsBase, ...(config.seedDemoData ? { demo: { serverCertificate: tls.cert } } : {}) });
  // The mutual-TLS origin asks every client for a certificate but lets the application decide what
  // a missing or untrusted one means (certificate login, RFC 8705 binding).
  const mtlsTls = await mutualTlsOptions(tlsBase, { bankCaPem: caCertificatesPem(bankCa), partnerCaFile: config.partnerCaFile });
  const mtls = await buildApp(deps, { listener: 'mtls', https: mtlsTls });

  const apps: FastifyInstance[] = [main, mtls];
  // Scheduled work (DESIGN §16) starts once the schema is current; instances with JOBS=false only serve.
  const jobsMailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, db: database.db, logger });
  let jobs: Promise<JobRunner> | undefined;
  let closing = false;
  const closer = closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ signal, err }) => {
    closing = true;
    if (err) logger.error({ err }, 'closing after an unexpected error');
    else logger.info({ signal }, 'shutting down');
    // The sweep in progress finishes (or is abandoned to a retry) before the database closes under it.
    await jobs?.then((j) => j.stop(Math.floor(config.shutdownGraceMs / 2)))
      .catch((e: unknown) => logger.warn({ err: e }, 'scheduled work did not stop cleanly'));
    jobsMailer.close();
    await Promise.allSettled(apps.map((a) => a.close()));
    await database.close();
  });
  // From the cluster primary; ignored when a signal to the whole process group already started the close.
  closeGracefully = () => {
    if (!closing) void closer.close();
  };

  await main.listen({ host: config.host, port: config.port });
  await mtls.listen({ host: config.host, port: config.mtlsPort });
  const readyMs = Math.round(performance.now());
  logger.info({ readyMs, main: main.addresses(), mtls: mtls.addresses(), tls: tls.source }, 'renkei ready');
  if (cluster.isWorker) process.send!(WORKER_READY);
  // Once per cluster: the first worker (a replacement has another id).
  if (!cluster.isWorker || cluster.worker!.id === 1) process.stdout.write(startupBanner({ config, database: database.kind, tlsSource: tls.source, readyMs, demoCredentials: config.seedDemoData ? formatDemoCredentials({ certificateFile: demoCertificateFile && path.resolve(demoCertificateFile), publicUrl: config.publicUrl }) : undefined, initialAccessToken: secrets.initialAccessToken }));
  // After the listeners: serving does not wait for the scheduler (pg-boss creates or migrates its schema on first start).
  if (config.jobs) {
    jobs = startJobs({
      db: database.db, kind: database.kind, databaseUrl: config.databaseUrl, logger, deliverMail: () => jobsMailer.deliverStored(),
      config: {
        publicUrl: config.publicUrl, consentReminderDays: config.consentReminderDays,
        certRenewalNoticeDays: config.certRenewalNoticeDays, mtlsPublicUrl: config.mtlsPublicUrl,
      },
      bankCa: async () => bankCa,
    });
    await jobs;
    logger.info('scheduled work started');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`renkei: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
