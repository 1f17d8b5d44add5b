/**
 * The DCS big key family, paths exactly as DCS has them (singular bigkey-task, plural
 * bigkey-tasks): the same task life as hot keys, its own error codes (DCS.4918, 4919, 4942),
 * its own daily schedule.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { KeyheatError } from '../../domain/errors.js';
import type { AutoscanService } from '../../service/autoscan-service.js';
import type { TaskService } from '../../service/task-service.js';
import { BigTaskBody, CreateBigTaskBody } from '../../wire/bigkey-schemas.js';
import { bigTaskToWire } from '../../wire/bigkey-mappers.js';
import { BigTaskParams, errorResponses, InstanceParams } from '../../wire/common-schemas.js';
import { AutoscanConfig, autoscanRequestOf, ListTasksQuery, TaskList } from '../../wire/task-schemas.js';
import { autoscanToWire, optionsFromWire, recordToWire } from '../../wire/wire-mappers.js';
import { clientGone } from '../client-gone.js';

export const bigkeyRoutes: FastifyPluginAsyncTypebox<{ tasks: TaskService; autoscan: AutoscanService }> = async (app, { tasks, autoscan }) => {
  app.post(
    '/instances/:instance_id/bigkey-task',
    {
      schema: {
        operationId: 'CreateBigkeyScanTask',
        summary: 'Create a big key analysis task',
        tags: ['bigkey'],
        params: InstanceParams,
        body: CreateBigTaskBody,
        response: { 200: BigTaskBody, ...errorResponses },
      },
      // DCS clients send no body at all: that means the service's defaults.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request, reply) => {
      const options = optionsFromWire(request.body);
      return bigTaskToWire(await tasks.create(request.params.project_id, request.params.instance_id, 'manual', options, 'big', clientGone(reply)), { withKeys: false });
    },
  );

  app.get(
    '/instances/:instance_id/bigkey-tasks',
    {
      schema: {
        operationId: 'ListBigkeyScanTasks',
        summary: 'List big key analysis tasks, newest first',
        tags: ['bigkey'],
        params: InstanceParams,
        querystring: ListTasksQuery,
        response: { 200: TaskList, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const page = await tasks.list(project_id, instance_id, request.query, 'big');
      return { instance_id, count: page.count, records: page.records.map(recordToWire) };
    },
  );

  app.get(
    '/instances/:instance_id/bigkey-task/:bigkey_id',
    {
      schema: {
        operationId: 'ShowBigkeyScanTaskDetails',
        summary: 'Show a big key analysis task with its keys',
        tags: ['bigkey'],
        params: BigTaskParams,
        response: { 200: BigTaskBody, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, bigkey_id } = request.params;
      return bigTaskToWire(await tasks.get(project_id, instance_id, bigkey_id, 'big'), { withKeys: true });
    },
  );

  app.delete(
    '/instances/:instance_id/bigkey-task/:bigkey_id',
    {
      schema: {
        operationId: 'DeleteBigkeyScanTask',
        summary: 'Delete a big key analysis task (stops it if running)',
        tags: ['bigkey'],
        params: BigTaskParams,
        response: { 200: BigTaskBody, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, bigkey_id } = request.params;
      return bigTaskToWire(await tasks.delete(project_id, instance_id, bigkey_id, 'big'), { withKeys: true });
    },
  );

  app.get(
    '/instances/:instance_id/bigkey/autoscan',
    {
      schema: {
        operationId: 'ShowBigkeyAutoscanConfig',
        summary: 'Show the daily automatic big key analysis settings',
        tags: ['bigkey'],
        params: InstanceParams,
        response: { 200: AutoscanConfig, ...errorResponses },
      },
    },
    async (request) => autoscanToWire(await autoscan.get(request.params.project_id, request.params.instance_id, 'big')),
  );

  app.put(
    '/instances/:instance_id/bigkey/autoscan',
    {
      schema: {
        operationId: 'UpdateBigkeyAutoscanConfig',
        summary: 'Configure the daily automatic big key analysis (UTC HH:mm)',
        tags: ['bigkey'],
        params: InstanceParams,
        body: autoscanRequestOf('big'),
        response: { 200: AutoscanConfig, ...errorResponses },
      },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) throw new KeyheatError('emptyBody');
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const config = await autoscan.put(project_id, instance_id, { enableAutoScan: request.body.enable_auto_scan, scheduleAt: request.body.schedule_at, options: request.body.options === undefined ? null : optionsFromWire(request.body.options) }, 'big');
      return autoscanToWire(config);
    },
  );
};
