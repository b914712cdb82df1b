import Negotiator from 'negotiator';

/**
 * The one way renkei localises text. Every text is a pair `{ ja, en }` written where the rule or
 * screen that uses it lives; a catalog is an object of such pairs (or of functions returning one, for
 * texts with numbers in them), and `translate(catalog, lang)` gives a screen the texts of one language.
 * Japanese is the language of record: the seed's labels are contract (DESIGN §6, §12).
 */
export type Lang = 'ja' | 'en';
const LANGS: readonly Lang[] = ['ja', 'en'];

export interface Text { ja: string; en: string }

type Entry = Text | ((...args: never[]) => Text) | readonly Text[] | { readonly [key: string]: Entry };

/** What `translate` makes of each entry: a string, a function returning one, an array of strings, or a nested catalog. */
export type Translated<C> = {
  [K in keyof C]: C[K] extends Text ? string
    : C[K] extends (...args: infer A) => Text ? (...args: A) => string
      : C[K] extends readonly Text[] ? string[]
        : Translated<C[K]>;
};

/** A catalog checked against the shape `translate` understands (a typo'd pair fails to compile). */
export function defineTexts<const C extends Record<string, Entry>>(catalog: C): C {
  return catalog;
}

function isText(e: unknown): e is Text {
  return typeof e === 'object' && e !== null && typeof (e as Text).ja === 'string' && typeof (e as Text).en === 'string';
}

function resolve(entry: unknown, lang: Lang): unknown {
  if (isText(entry)) return entry[lang];
  if (typeof entry === 'function') return (...args: unknown[]) => (entry as (...a: unknown[]) => Text)(...args)[lang];
  if (Array.isArray(entry)) return entry.map((e) => resolve(e, lang));
  return Object.fromEntries(Object.entries(entry as object).map(([k, v]) => [k, resolve(v, lang)]));
}

const cache = new WeakMap<object, Partial<Record<Lang, unknown>>>();

/** The catalog in one language; computed once per catalog and language. */
export function translate<C extends Record<string, Entry>>(catalog: C, lang: Lang): Translated<C> {
  let byLang = cache.get(catalog);
  if (!byLang) cache.set(catalog, (byLang = {}));
  return (byLang[lang] ??= resolve(catalog, lang)) as Translated<C>;
}

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
  const preferred = new Negotiator({ headers }).language([...LANGS]);
  return preferred === 'en' ? 'en' : 'ja';
}

/** The cookie that keeps a visitor's explicit language choice across every surface. */
export const LANG_COOKIE = 'renkei_lang';
