import type { FastifySchemaValidationError } from 'fastify';
import { AppError } from '../../shared/errors.ts';
import { defineTexts, type Text } from '../../shared/i18n.ts';

const INPUT_TEXTS = defineTexts({
  row: (n: number) => ({ ja: `${n}行目: `, en: `Row ${n}: ` }),
  invalid: (label: Text) => ({ ja: `「${label.ja}」の入力内容に誤りがあります。`, en: `Check “${label.en}”.` }),
  badCharacters: (label: Text) => ({ ja: `「${label.ja}」に使用できない文字が含まれています。`, en: `“${label.en}” contains a character that cannot be used.` }),
  tooLong: (label: Text) => ({ ja: `「${label.ja}」が長すぎます。`, en: `“${label.en}” is too long.` }),
  tooManyRows: (n: number) => ({ ja: `一度に入力できるのは${n}件までです。`, en: `At most ${n} rows can be entered at a time.` }),
  unexpected: { ja: '入力内容に誤りがあります。画面を開き直して、もう一度操作してください。', en: 'The form was not understood. Open the screen again and retry.' },
});

/** The label the screen shows for a form field, by the field's name (undefined: not a field a person fills). */
export type FieldLabels = Readonly<Record<string, Text>> | ((field: string) => Text | undefined);

/**
 * The refusal for a form body that did not match its schema (route option `attachValidation`): names
 * the field (and the row, for repeated fields) in words the screen uses, so the form can be shown
 * again with the message instead of a raw validation error.
 */
export function invalidInput(error: { validation?: unknown }, labels: FieldLabels): AppError {
  const errors: FastifySchemaValidationError[] = Array.isArray(error.validation) ? error.validation : [];
  const first = errors[0];
  const [field, index] = (first?.instancePath ?? '').split('/').slice(1);
  const label = field === undefined ? undefined : typeof labels === 'function' ? labels(field) : labels[field];
  let message: Text;
  if (first?.keyword === 'maxItems' && typeof first.params.limit === 'number') {
    message = INPUT_TEXTS.tooManyRows(first.params.limit);
  } else if (!label) {
    message = INPUT_TEXTS.unexpected;
  } else {
    const base = first?.keyword === 'pattern' ? INPUT_TEXTS.badCharacters(label)
      : first?.keyword === 'maxLength' ? INPUT_TEXTS.tooLong(label)
        : INPUT_TEXTS.invalid(label);
    const row = index !== undefined && /^[0-9]+$/.test(index) ? INPUT_TEXTS.row(Number(index) + 1) : undefined;
    message = row ? { ja: row.ja + base.ja, en: row.en + base.en } : base;
  }
  return new AppError(400, 'invalid_parameter', { message, detail: first });
}
