/**
 * Ajv coerces the query string "Infinity" to Infinity, counts it an integer and skips its
 * `maximum` (it checks ranges of finite numbers only), so a bounded query number could still
 * reach the store as Infinity. This hook refuses any non-finite number left in the query or path.
 */
import type { FastifyRequest } from 'fastify';
import { invalidParameter } from '../domain/errors.js';

export async function rejectNonFiniteNumbers(request: FastifyRequest): Promise<void> {
  for (const source of [request.query, request.params]) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [name, value] of Object.entries(source)) {
      if (typeof value === 'number' && !Number.isFinite(value)) throw invalidParameter(name, `${name} must be a finite number`);
    }
  }
}
