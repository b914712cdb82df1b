import { sql, type Kysely } from 'kysely';

// Every renkei process caches OAuth clients; a change to a client (or its partner) is announced on
// the `renkei_client_changed` channel so every cache drops it at once (DESIGN §3). Frozen.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function notify_client_changed() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'oauth_clients' then
        perform pg_notify('renkei_client_changed', coalesce(new.client_id, old.client_id));
      else
        perform pg_notify('renkei_client_changed', '*');
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger oauth_clients__notify after insert or update or delete on oauth_clients
      for each row execute function notify_client_changed()`.execute(db);
  await sql`
    create trigger partners__notify after update or delete on partners
      for each row execute function notify_client_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger partners__notify on partners`.execute(db);
  await sql`drop trigger oauth_clients__notify on oauth_clients`.execute(db);
  await sql`drop function notify_client_changed`.execute(db);
}
