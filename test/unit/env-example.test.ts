import { readFile } from 'node:fs/promises';
import t from 'tap';
import { EnvSchema } from '../../src/config/config.schema.ts';

t.test('.env.example documents every variable the loader reads, and nothing else', async (t) => {
  const text = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
  const listed = [...text.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).filter((n) => n !== 'POSTGRES_PASSWORD');
  t.same([...listed].sort(), Object.keys(EnvSchema.properties).sort());
});
