import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';

/**
 * Distinguished names as RFC 8705 §2.1.2 compares them: a client registers
 * `tls_client_auth_subject_dn` as an RFC 4514 string, and its certificate's subject must be that name.
 * The certificate side is read from the DER (never from a printed form, whose escaping varies by
 * library); the registered side is parsed here, so "," "+" "\" and hex escapes mean what RFC 4514 says.
 */

/** One attribute of a name: its OID and its value, normalised for comparison. */
type Attribute = readonly [oid: string, value: string];
/** A name in DER order (most general first); each RDN's attributes sorted. */
type ParsedName = Attribute[][];

/** RFC 4514 §3 keywords and the ones certificates commonly carry beside them. */
const KEYWORDS: Record<string, string> = {
  CN: '2.5.4.3', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', STREET: '2.5.4.9',
  DC: '0.9.2342.19200300.100.1.25', UID: '0.9.2342.19200300.100.1.1', SERIALNUMBER: '2.5.4.5', SN: '2.5.4.4',
  GIVENNAME: '2.5.4.42', TITLE: '2.5.4.12', POSTALCODE: '2.5.4.17', ORGANIZATIONIDENTIFIER: '2.5.4.97',
  EMAILADDRESS: '1.2.840.113549.1.9.1', E: '1.2.840.113549.1.9.1',
};

/** Longest DN accepted at registration (certificates with longer subjects are not something partners use). */
const MAX_DN_LENGTH = 1024;

/**
 * X.500 names compare case-insensitively with insignificant spaces ignored (RFC 4518 §2, simplified):
 * NFKC, trimmed, inner runs of space collapsed, lower case. Full-width and half-width forms of the same
 * Japanese text compare equal, as NFKC makes them.
 */
function normalizeValue(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function sortRdn(rdn: Attribute[]): Attribute[] {
  return [...rdn].sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1));
}

/**
 * Parses an RFC 4514 string into RDNs in the order written. Returns undefined for anything that is not
 * a DN: an unknown keyword, an empty value, a BER `#hex` value (nothing registers those), a bad escape.
 */
export function parseDn(text: string): ParsedName | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_DN_LENGTH) return undefined;
  const rdns: ParsedName = [];
  let rdn: Attribute[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text[i] === ' ') i++;
    const typeStart = i;
    while (i < n && text[i] !== '=') i++;
    if (i >= n) return undefined;
    const type = text.slice(typeStart, i).trim();
    i++; // '='
    const oid = /^\d+(\.\d+)+$/.test(type) ? type : KEYWORDS[type.toUpperCase()];
    if (!oid) return undefined;
    if (text[i] === '#') return undefined;
    const bytes: number[] = [];
    while (i < n && text[i] !== ',' && text[i] !== '+' && text[i] !== ';') {
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      if (ch === '\\') {
        const next = text[i + 1] ?? '';
        const hex = text.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 3;
        } else if (next && ' "#+,;<=>\\'.includes(next)) {
          bytes.push(next.charCodeAt(0));
          i += 2;
        } else {
          return undefined;
        }
        continue;
      }
      if (ch === '"' || ch === '<' || ch === '>' || ch === '\u0000') return undefined;
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
    let value: string;
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      return undefined; // hex escapes that are not UTF-8
    }
    if (!normalizeValue(value)) return undefined;
    rdn.push([oid, normalizeValue(value)]);
    const sep = text[i];
    i++;
    if (sep !== '+') {
      rdns.push(sortRdn(rdn));
      rdn = [];
    }
    if ((sep === ',' || sep === ';' || sep === '+') && i >= n) return undefined; // a trailing separator
  }
  return rdns.length > 0 ? rdns : undefined;
}

/** The subject of a DER certificate, in DER order, normalised like parseDn's result. */
function certificateSubject(der: Uint8Array | ArrayBuffer): ParsedName {
  const cert = AsnConvert.parse(der, Certificate);
  return cert.tbsCertificate.subject.map((rdn) => sortRdn(rdn.map((atv) => [atv.type, normalizeValue(atv.value.toString())] as const)));
}

/**
 * Whether a certificate's subject is the registered DN. RFC 4514 writes the most specific RDN first
 * (the reverse of the DER order); operators also paste names in the order OpenSSL prints them. Both
 * orders of the same sequence are accepted, nothing else: no missing, extra or shuffled RDNs.
 */
export function subjectIs(der: Uint8Array | ArrayBuffer, registered: string): boolean {
  const expected = parseDn(registered);
  if (!expected) return false;
  const actual = certificateSubject(der);
  const same = (a: ParsedName, b: ParsedName) => a.length === b.length && a.every((rdn, k) => JSON.stringify(rdn) === JSON.stringify(b[k]));
  return same(actual, [...expected].reverse()) || same(actual, expected);
}

/** The RFC 4514 string of a name given as DER-order RDNs of [keyword, value]: what a partner registers. */
export function formatDn(rdns: { type: string; value: string }[]): string {
  const escape = (v: string) => v
    .replace(/[\\"+,;<>=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
  return [...rdns].reverse().map((r) => `${r.type}=${escape(r.value)}`).join(',');
}
