import { sql, type Kysely } from 'kysely';

// Access tokens revoked through RFC 7009 before they expire. They are JWTs the server does not
// store, so the resource API consults this list (by jti) when it checks the grant behind a token.
// A row is useless once its token has expired; revocations prune those rows as they go. Frozen.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table revoked_access_tokens (
      jti text primary key,
      client_id text not null,
      expires_at timestamptz not null,
      revoked_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index revoked_access_tokens__expires_at on revoked_access_tokens (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table revoked_access_tokens`.execute(db);
}
