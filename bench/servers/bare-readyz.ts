import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import pg from 'pg';

// Baseline for `bench readyz`: the unavoidable work of a readiness check over HTTPS — TLS, HTTP
// routing, one `select 1` through a pg pool, a JSON reply — and nothing else (no logging, no headers).
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const app = Fastify({
  logger: false,
  https: { key: readFileSync(process.env.TLS_KEY_FILE!), cert: readFileSync(process.env.TLS_CERT_FILE!) },
});
app.get('/readyz', async () => {
  await pool.query('select 1');
  return { status: 'ready', database: 'ok' };
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
