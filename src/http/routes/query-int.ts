import { z } from '@hono/zod-openapi';

/**
 * A decimal query integer: digits only. `z.coerce.number()` would take "0x10", "1e3", " 1 " and "+1"
 * (Number() does), so a typo silently became another page or seq; here they are 400s naming the parameter.
 */
export const optionalQueryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .openapi({ type: 'integer', minimum: min, maximum: max });

/** The same with a default when absent. */
export const queryInt = (dflt: number, min: number, max: number) =>
  optionalQueryInt(min, max)
    .transform((v) => v ?? dflt)
    .openapi({ type: 'integer', minimum: min, maximum: max, default: dflt });
