import type { LightMyRequestResponse } from 'fastify';
import type { ReceivedMail } from '../mail/smtp-sink.ts';
import type { IbClient } from '../internet-banking/ib-client.ts';

/** The newest メールトークン mailed to `to`. */
export function lastToken(mails: ReceivedMail[], to: string): string {
  const m = [...mails].reverse().find((x) => x.to.includes(to) && /メールトークン/.test(x.subject));
  const code = m && /メールトークン: ([0-9]{6})/.exec(m.text)?.[1];
  if (!code) throw new Error(`no mail token for ${to}`);
  return code;
}

/** Follows a proposal's redirect to the confirmation screen; returns the screen and its path. */
export async function openConfirmation(c: IbClient, proposal: LightMyRequestResponse): Promise<{ page: LightMyRequestResponse; path: string }> {
  if (proposal.statusCode !== 303 || !String(proposal.headers.location).startsWith('/ib/confirm/')) {
    throw new Error(`not a proposal: ${proposal.statusCode} ${proposal.body.slice(0, 500)}`);
  }
  const path = String(proposal.headers.location);
  return { page: await c.get(path), path };
}

/** Proposal → confirmation screen → 取引パスワード + the mailed token → completion screen. */
export async function confirmWith(c: IbClient, mails: ReceivedMail[], email: string, proposal: LightMyRequestResponse, txPassword: string): Promise<LightMyRequestResponse> {
  const { path } = await openConfirmation(c, proposal);
  return c.post(path, { transactionPassword: txPassword, mailToken: lastToken(mails, email) });
}

/** The versions an edit form carries back (hidden `version` fields), in the order of its rows. */
export function shownVersions(body: string): string[] {
  return [...body.matchAll(/name="version" value="([0-9]+)"/g)].map((m) => m[1]!);
}
