import { sql, type Kysely } from 'kysely';

// The bank's own certificate authority (DESIGN §14): a root and an issuing CA made on first start,
// their private keys sealed with KEY_ENCRYPTION_KEY like the signing keys. One row; instances that
// start together race on the primary key and all use the row that won. A CA loaded from
// CA_CERT_FILE / CA_KEY_FILE is not stored here.
// The CRL of an issuing CA (keyed by the SHA-256 of its certificate), re-signed on every revocation:
// the number only grows, and the revocations it covers tell whether it is still current.
// Frozen: never import app code here.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table bank_ca (
      name text primary key default 'bank' check (name = 'bank'),
      root_certificate_pem text not null,
      root_private_jwk_jwe text not null,
      issuing_certificate_pem text not null,
      issuing_private_jwk_jwe text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table certificate_crls (
      issuer_sha256 text primary key check (issuer_sha256 ~ '^[0-9a-f]{64}$'),
      crl_number bigint not null check (crl_number > 0),
      der bytea not null,
      this_update timestamptz not null,
      next_update timestamptz not null,
      -- what the CRL lists: how many revoked certificates, and the newest revocation among them
      revoked_count integer not null,
      last_revoked_at timestamptz
    )`.execute(db);
  await sql`create index certificates__revoked on certificates (revoked_at) where status = 'revoked'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index certificates__revoked`.execute(db);
  await sql`drop table certificate_crls`.execute(db);
  await sql`drop table bank_ca`.execute(db);
}
