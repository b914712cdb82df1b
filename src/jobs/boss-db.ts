import { CompiledQuery, type Kysely } from 'kysely';
import type { Db as BossDb } from 'pg-boss';
import type { Database } from '../db/database.ts';

/**
 * pg-boss's database port (`executeSql`) over the application's Kysely handle, for the embedded PGlite
 * (DESIGN §16). PGlite is one connection, so pg-boss must queue behind the application's own
 * transactions instead of slipping its statements into them: going through Kysely gives exactly that
 * (the PGlite dialect runs every transaction under PGlite's exclusive lock).
 *
 * pg-boss sends multi-statement text without parameters (schema migrations, `BEGIN; …; COMMIT` blocks
 * around advisory locks), which PGlite runs only through its simple protocol, out of Kysely's reach.
 * Such text is split into its statements and run in one Kysely transaction, which is what the simple
 * protocol would do with it: all or nothing, the rows of every statement returned together.
 */
export function kyselyBossDb(db: Kysely<Database>): BossDb {
  return {
    async executeSql(text, values) {
      if (values && values.length > 0) return { rows: [...(await db.executeQuery(CompiledQuery.raw(text, values))).rows] };
      const statements = splitStatements(text);
      if (statements.length <= 1) return { rows: [...(await db.executeQuery(CompiledQuery.raw(text))).rows] };
      if (/^begin$/i.test(statements[0]!)) statements.shift();
      if (/^commit$/i.test(statements.at(-1) ?? '')) statements.pop();
      return db.transaction().execute(async (trx) => {
        const rows: unknown[] = [];
        for (const s of statements) rows.push(...(await trx.executeQuery(CompiledQuery.raw(s))).rows);
        return { rows };
      });
    },
  };
}

const IDENT = /[A-Za-z0-9_$]/;

/**
 * The statements of a PostgreSQL script: splits at semicolons outside quotes ('…', E'…', "…"),
 * dollar-quoted bodies ($$…$$, $tag$…$tag$) and comments; drops empty statements.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const s = text.slice(start, end).trim();
    if (s) out.push(s);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const backslashes = c === "'" && /[Ee]/.test(text[i - 1] ?? '') && !IDENT.test(text[i - 2] ?? '');
      i++;
      while (i < text.length) {
        if (backslashes && text[i] === '\\') i += 2;
        else if (text[i] === c && text[i + 1] === c) i += 2;
        else if (text[i] === c) break;
        else i++;
      }
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '$' && !IDENT.test(text[i - 1] ?? '')) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      } else {
        i++;
      }
    } else if (c === ';') {
      push(i);
      start = ++i;
    } else {
      i++;
    }
  }
  push(text.length);
  return out;
}
