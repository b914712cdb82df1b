import { sql, type Kysely } from 'kysely';

// Scheduled work (DESIGN §16): what a sweep sent, one row per (kind, subject, milestone), so a rerun,
// a restart or a second instance never sends it twice; and the indexes the sweeps read by expiry.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table sent_notifications (
      -- what was sent, e.g. consent_expiry_reminder
      kind text not null check (kind ~ '^[a-z0-9_]+$'),
      -- what it was about, e.g. the grant's id
      subject_id text not null,
      -- which of the subject's notices, e.g. the days before expiry it announced
      milestone text not null,
      sent_at timestamptz not null default now(),
      primary key (kind, subject_id, milestone)
    )`.execute(db);
  await sql`create index sent_notifications__sent_at on sent_notifications (sent_at)`.execute(db);

  // The expiry sweep and the reminder sweep read active grants by their end.
  await sql`create index grants__active_expiry on grants (expires_at) where revoked_at is null`.execute(db);
  // The purges delete by expiry in small batches.
  await sql`create index email_tokens__expires_at on email_tokens (expires_at)`.execute(db);
  await sql`create index password_resets__expires_at on password_resets (expires_at)`.execute(db);
  await sql`create index pending_changes__expires_at on pending_changes (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index pending_changes__expires_at`.execute(db);
  await sql`drop index password_resets__expires_at`.execute(db);
  await sql`drop index email_tokens__expires_at`.execute(db);
  await sql`drop index grants__active_expiry`.execute(db);
  await sql`drop table sent_notifications`.execute(db);
}
