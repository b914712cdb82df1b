import { Type } from '@sinclair/typebox';

/** The error body of every non-OAuth surface (DESIGN §8). Referenced by `$ref: 'ErrorResponse#'`. */
export const ErrorResponseSchema = Type.Object(
  {
    errorCode: Type.String(),
    errorMessage: Type.String(),
    requestId: Type.Optional(Type.String()),
  },
  { $id: 'ErrorResponse', additionalProperties: false },
);

export const ErrorRef = Type.Unsafe<{ errorCode: string; errorMessage: string; requestId?: string }>(
  Type.Ref('ErrorResponse'),
);
