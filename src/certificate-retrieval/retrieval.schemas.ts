import { Type } from '@sinclair/typebox';

/** Form text without NULs (the input guard refuses them anyway), bounded. */
const FormText = (maxLength: number) => Type.String({ maxLength, pattern: '^[^\\u0000]*$' });

const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };

export const LangQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 16 })) });

/** Any string: a malformed order id gets the "not found" page, not a validation error. */
export const OrderParams = Type.Object({ orderId: Type.String({ maxLength: 100 }) });

export const RetrievalPasswordBody = Type.Object({ ...Csrf, password: FormText(200) });

export const KeyPasswordBody = Type.Object({
  ...Csrf,
  keyPassword: FormText(200),
  keyPasswordConfirm: FormText(200),
  agree: Type.Optional(Type.Literal('on')),
});

export const DownloadBody = Type.Object({
  ...Csrf,
  sealed: Type.String({ maxLength: 2000, pattern: '^[A-Za-z0-9_-]*$' }),
  profile: Type.Union([Type.Literal('modern'), Type.Literal('legacy')]),
});
