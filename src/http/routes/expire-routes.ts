/**
 * The DCS expired key scan family, paths exactly as DCS has them: two ways to start a scan
 * (scan-expire-keys-task, auto-expire/scan), its histories, and its autoscan-config in
 * seconds. keyheat adds one scan's record with its TTL report, and deleting one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { KeyheatError } from '../../domain/errors.js';
import type { AutoscanService } from '../../service/autoscan-service.js';
import type { TaskService } from '../../service/task-service.js';
import { errorResponses, InstanceParams, KindTaskParams } from '../../wire/common-schemas.js';
import { expireAutoscanToWire, expireRecordToWire, expireTaskToWire, scanTaskToWire } from '../../wire/expire-mappers.js';
import { CreateExpireBody, ExpireAutoscanConfig, ExpireAutoscanRequest, ExpireHistories, ExpireRecord as ExpireRecordBody, ExpireTaskBody, ScanTask } from '../../wire/expire-schemas.js';
import { ListTasksQuery } from '../../wire/task-schemas.js';
import { optionsFromWire } from '../../wire/wire-mappers.js';
import { clientGone } from '../client-gone.js';

export const expireRoutes: FastifyPluginAsyncTypebox<{ tasks: TaskService; autoscan: AutoscanService }> = async (app, { tasks, autoscan }) => {
  for (const [url, operationId] of [
    ['/instances/:instance_id/scan-expire-keys-task', 'ScanExpireKey'],
    ['/instances/:instance_id/auto-expire/scan', 'CreateAutoExpireScanTask'],
  ] as const) {
    app.post(
      url,
      {
        schema: {
          operationId,
          summary: 'Scan for expired keys now: every primary is SCANned, so Redis reclaims the keys whose TTL passed',
          tags: ['expire'],
          params: InstanceParams,
          body: CreateExpireBody,
          response: { 200: ScanTask, ...errorResponses },
        },
        // DCS clients send no body at all: that means the service's defaults.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      async (request, reply) => {
        const { project_id, instance_id } = request.params;
        return scanTaskToWire(await tasks.create(project_id, instance_id, 'manual', optionsFromWire(request.body), 'expire', clientGone(reply)));
      },
    );
  }

  app.get(
    '/instances/:instance_id/auto-expire/histories',
    {
      schema: {
        operationId: 'ShowExpireKeyScanInfo',
        summary: 'List expired key scans, newest first, with the keys each reclaimed',
        tags: ['expire'],
        params: InstanceParams,
        querystring: ListTasksQuery,
        response: { 200: ExpireHistories, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const page = await tasks.list(project_id, instance_id, request.query, 'expire');
      return { instance_id, total: page.numTotal, count: page.count, records: page.records.map(expireRecordToWire) };
    },
  );

  app.get(
    '/instances/:instance_id/auto-expire/histories/:task_id',
    {
      schema: {
        operationId: 'ShowExpireKeyScanTask',
        summary: 'keyheat: one expired key scan, with the TTLs of the keys it visited',
        tags: ['expire'],
        params: KindTaskParams,
        response: { 200: ExpireTaskBody, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, task_id } = request.params;
      return expireTaskToWire(await tasks.get(project_id, instance_id, task_id, 'expire'));
    },
  );

  app.delete(
    '/instances/:instance_id/auto-expire/histories/:task_id',
    {
      schema: {
        operationId: 'DeleteExpireKeyScanTask',
        summary: 'keyheat: delete an expired key scan (stops it if running; keys already reclaimed stay reclaimed)',
        tags: ['expire'],
        params: KindTaskParams,
        response: { 200: ExpireRecordBody, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, task_id } = request.params;
      return expireRecordToWire(await tasks.delete(project_id, instance_id, task_id, 'expire'));
    },
  );

  app.get(
    '/instances/:instance_id/scan-expire-keys/autoscan-config',
    {
      schema: {
        operationId: 'ShowExpireAutoScanConfig',
        summary: 'Show the automatic expired key scan settings (seconds)',
        tags: ['expire'],
        params: InstanceParams,
        response: { 200: ExpireAutoscanConfig, ...errorResponses },
      },
    },
    async (request) => expireAutoscanToWire(await autoscan.getInterval(request.params.project_id, request.params.instance_id)),
  );

  app.put(
    '/instances/:instance_id/scan-expire-keys/autoscan-config',
    {
      schema: {
        operationId: 'UpdateExpireAutoScanConfig',
        summary: 'Configure the automatic expired key scan: from first_scan_at, every interval seconds',
        tags: ['expire'],
        params: InstanceParams,
        body: ExpireAutoscanRequest,
        response: { 200: ExpireAutoscanConfig, ...errorResponses },
      },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) throw new KeyheatError('emptyBody');
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const body = request.body;
      const config = await autoscan.putInterval(project_id, instance_id, {
        enableAutoScan: body.enable_auto_scan,
        firstScanAt: body.first_scan_at,
        interval: body.interval,
        timeout: body.timeout,
        scanKeysCount: body.scan_keys_count,
      });
      return expireAutoscanToWire(config);
    },
  );
};
