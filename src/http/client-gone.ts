/**
 * A signal aborted when the client of a request goes away before its answer was sent (the
 * connection closed under it): work done only for that answer (a task's preflight on a Redis)
 * stops then instead of running on for nobody.
 */
import type { FastifyReply } from 'fastify';
import { RedisFailure } from '../domain/redis-failure.js';

export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new RedisFailure('cancelled', '', 'the client went away before its answer was ready'));
  });
  return controller.signal;
}
