import { AppError, type ErrorCode } from '../shared/errors.ts';
import type { Text } from '../shared/i18n.ts';

/** GMO's `TransferError` details (swagger v1.1.12): a code and a message per problem. */
export interface ErrorDetail {
  errorDetailsCode: string;
  errorDetailsMessage: string;
}

/** A problem of one item (明細) of the request, by its itemId. */
export interface TransferErrorDetail {
  itemId: string;
  errorDetails: ErrorDetail[];
}

/**
 * A refused 振込依頼 or 振込手数料事前照会 (400): `invalid_parameter` when the request is malformed,
 * `transfer_refused` when it is well formed but a rule refuses it (振込限度額, unknown beneficiary account).
 * The surface adds `errorDetails` and `transferErrorDetails` to the error body as GMO does.
 */
export class TransferRefused extends AppError {
  readonly errorDetails: ErrorDetail[];
  readonly transferErrorDetails: TransferErrorDetail[];

  constructor(code: Extract<ErrorCode, 'invalid_parameter' | 'transfer_refused'>, errorDetails: ErrorDetail[], transferErrorDetails: TransferErrorDetail[], message?: Text) {
    super(400, code, message ? { message } : {});
    this.name = 'TransferRefused';
    this.errorDetails = errorDetails;
    this.transferErrorDetails = transferErrorDetails;
  }
}

/** The same Idempotency-Key came with another body (409): the first request stands. */
export class IdempotencyConflict extends AppError {
  constructor() {
    super(409, 'idempotency_conflict');
    this.name = 'IdempotencyConflict';
  }
}
