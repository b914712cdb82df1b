import { Type } from '@sinclair/typebox';

/** Free text from a form: bounded, and never a NUL (PostgreSQL refuses it in text). */
export const FormText = (maxLength: number) => Type.String({ maxLength, pattern: '^[^\\u0000]*$' });

/** The form token every POST carries; the CSRF preHandler checks it, the schema only admits it. */
export const CsrfField = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };

/** `?lang=ja|en` switches the language (other values are ignored, as a browser would expect). */
export const LangQuery = { lang: Type.Optional(Type.String({ maxLength: 16 })) };
