import { sql } from 'kysely';
import type { Db } from '../db/transaction.ts';
import { invalidParameter } from '../shared/errors.ts';

/**
 * Where a request came from, for the audit trail (DESIGN §11: actor, customer, type, details, IP,
 * user agent). Routes build it from the request; domain code passes it through untouched.
 */
export interface RequestContext {
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface AuditEvent {
  /** Dotted lower-case name, e.g. `login.success`, `pin.locked`, `consent.granted`, `group.created`. */
  type: string;
  outcome?: 'success' | 'failure';
  customerId?: string | null;
  actorUserId?: string | null;
  actorLoginId?: string | null;
  /** The user the event is about when it is not the actor (an administrator unlocking a user). */
  subjectUserId?: string | null;
  /** What changed. Never secrets: no passwords, PINs, codes or tokens. */
  details?: Record<string, unknown>;
  context?: RequestContext;
}

/** Appends one event. Runs in the caller's transaction when given one, so the event and the change commit together. */
export async function recordAudit(db: Db, event: AuditEvent): Promise<void> {
  await recordAudits(db, [event]);
}

/** Several events in one statement (e.g. one per grant a sweep ends). */
export async function recordAudits(db: Db, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('audit_events')
    .values(events.map((event) => ({
      type: event.type,
      outcome: event.outcome ?? 'success',
      customer_id: event.customerId ?? null,
      actor_user_id: event.actorUserId ?? null,
      actor_login_id: event.actorLoginId ?? null,
      subject_user_id: event.subjectUserId ?? null,
      details: JSON.stringify(event.details ?? {}),
      ip: event.context?.ip ?? null,
      user_agent: event.context?.userAgent?.slice(0, 500) ?? null,
      request_id: event.context?.requestId ?? null,
    })))
    .execute();
}

/** 前回ログイン: the success before the latest one (users.last_login_at is already the latest). */
export async function previousLoginAt(db: Db, userId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom('audit_events')
    .select('occurred_at')
    .where('actor_user_id', '=', userId)
    .where('type', '=', 'login.success')
    .orderBy('id', 'desc')
    .offset(1)
    .limit(1)
    .executeTakeFirst();
  return row?.occurred_at;
}

/** How many events one page of the ログイン・操作履歴 screen shows, newest first. */
export const AUDIT_PAGE_SIZE = 50;

const DAY = /^([0-9]{4})-[0-9]{2}-[0-9]{2}$/;
const JST_OFFSET_MS = 9 * 60 * 60_000;

/**
 * The instant a calendar day in Japan (YYYY-MM-DD) begins, or undefined when there is no such day:
 * 2026-02-30 and 2026-13-45 do not roll over into other dates, and years before 1000 are refused.
 */
export function jstDayStart(day: string): Date | undefined {
  const m = DAY.exec(day);
  if (!m || Number(m[1]) < 1000) return undefined;
  const midnightUtc = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(midnightUtc.getTime()) || midnightUtc.toISOString().slice(0, 10) !== day) return undefined;
  return new Date(midnightUtc.getTime() - JST_OFFSET_MS);
}

export interface AuditSearch {
  customerId: string;
  /** Events this user did or that were about them. */
  userId?: string | undefined;
  /** First and last calendar day in Japan, inclusive (YYYY-MM-DD). */
  from?: string | undefined;
  to?: string | undefined;
  /** Keyset paging: only events older than this id (the last one of the previous page). */
  before?: string | undefined;
}

/** The screens validate days first; a caller that did not gets the 400 it would have. */
function dayStart(day: string): Date {
  const start = jstDayStart(day);
  if (!start) throw invalidParameter(undefined, { day });
  return start;
}

/**
 * ログイン・操作履歴: one page of a customer's events, by user and date range (JST), newest first, and
 * the id to continue from when older ones exist (one extra row is read to know).
 */
export async function searchAuditEvents(db: Db, s: AuditSearch) {
  let query = db
    .selectFrom('audit_events')
    .select(['id', 'occurred_at', 'type', 'outcome', 'actor_login_id', 'actor_user_id', 'subject_user_id', 'details', 'ip'])
    .where('customer_id', '=', s.customerId);
  const userId = s.userId;
  if (userId) query = query.where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('subject_user_id', '=', userId)]));
  if (s.from) query = query.where('occurred_at', '>=', dayStart(s.from));
  if (s.to) query = query.where('occurred_at', '<', new Date(dayStart(s.to).getTime() + 24 * 60 * 60_000));
  if (s.before) query = query.where('id', '<', s.before);
  const rows = await query.orderBy('id', 'desc').limit(AUDIT_PAGE_SIZE + 1).execute();
  const events = rows.slice(0, AUDIT_PAGE_SIZE);
  return { events, olderThan: rows.length > AUDIT_PAGE_SIZE ? events.at(-1)?.id : undefined };
}

/**
 * The names of the API連携先 the events mention, by client id: the client's own `client_name` (one
 * partner may run several services), the partner's service name for clients registered without one.
 */
export async function clientNames(db: Db, clientIds: string[]): Promise<Map<string, string>> {
  if (clientIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('oauth_clients')
    .innerJoin('partners', 'partners.id', 'oauth_clients.partner_id')
    .select(['oauth_clients.client_id', sql<string>`coalesce(oauth_clients.metadata->>'client_name', partners.service_name)`.as('name')])
    .where('oauth_clients.client_id', 'in', clientIds)
    .execute();
  return new Map(rows.map((r) => [r.client_id, r.name]));
}

/** The customer's groups by id, to name the groups old events mention (deleted ones are not found). */
export async function groupNames(db: Db, customerId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('groups').select(['id', 'name']).where('customer_id', '=', customerId).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Every user the customer has had, deleted ones included: their names still label old events. */
export function listAuditUsers(db: Db, customerId: string) {
  return db.selectFrom('users').select(['id', 'login_id', 'name']).where('customer_id', '=', customerId).orderBy('login_id').execute();
}
