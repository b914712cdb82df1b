import Negotiator from 'negotiator';
import type { Lang } from './errors.ts';

const SUPPORTED = ['ja', 'en'];

/**
 * Japanese unless the caller prefers English: an explicit `ui_locales`/`lang` choice wins, then
 * Accept-Language (RFC 9110 §12.5.4) negotiated with q-values.
 */
export function pickLang(headers: Record<string, string | string[] | undefined>, explicit?: string): Lang {
  if (explicit) {
    for (const tag of explicit.split(/[\s,]+/)) {
      const base = tag.toLowerCase().split('-')[0];
      if (base === 'ja' || base === 'en') return base;
    }
  }
  const preferred = new Negotiator({ headers }).language(SUPPORTED);
  return preferred === 'en' ? 'en' : 'ja';
}
