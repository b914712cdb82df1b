import type { Db } from '../db/transaction.ts';

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
  await db
    .insertInto('audit_events')
    .values({
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
    })
    .execute();
}
