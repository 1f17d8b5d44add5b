/** The DCS hot key family, paths exactly as DCS has them (singular hotkey-task, plural hotkey-tasks). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { KeyheatError } from '../../domain/errors.js';
import type { AutoscanService } from '../../service/autoscan-service.js';
import type { TaskService } from '../../service/task-service.js';
import { errorResponses, InstanceParams, TaskParams } from '../../wire/common-schemas.js';
import { AutoscanConfig, AutoscanConfigRequest, CreateTaskBody, ListTasksQuery, TaskBody, TaskList } from '../../wire/task-schemas.js';
import { autoscanToWire, optionsFromWire, recordToWire, taskToWire } from '../../wire/wire-mappers.js';
import { clientGone } from '../client-gone.js';

export const hotkeyRoutes: FastifyPluginAsyncTypebox<{ tasks: TaskService; autoscan: AutoscanService }> = async (app, { tasks, autoscan }) => {
  app.post(
    '/instances/:instance_id/hotkey-task',
    {
      schema: {
        operationId: 'CreateHotkeyScanTask',
        summary: 'Create a hot key analysis task',
        tags: ['hotkey'],
        params: InstanceParams,
        body: CreateTaskBody,
        response: { 200: TaskBody, ...errorResponses },
      },
      // DCS clients send no body at all: that means the service's defaults.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request, reply) => {
      const options = optionsFromWire(request.body);
      return taskToWire(await tasks.create(request.params.project_id, request.params.instance_id, 'manual', options, 'hot', clientGone(reply)), { withKeys: false });
    },
  );

  app.get(
    '/instances/:instance_id/hotkey-tasks',
    {
      schema: {
        operationId: 'ListHotKeyScanTasks',
        summary: 'List hot key analysis tasks, newest first',
        tags: ['hotkey'],
        params: InstanceParams,
        querystring: ListTasksQuery,
        response: { 200: TaskList, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const page = await tasks.list(project_id, instance_id, request.query);
      return { instance_id, count: page.count, records: page.records.map(recordToWire) };
    },
  );

  app.get(
    '/instances/:instance_id/hotkey-task/:hotkey_id',
    {
      schema: {
        operationId: 'ShowHotkeyTaskDetails',
        summary: 'Show a hot key analysis task with its keys',
        tags: ['hotkey'],
        params: TaskParams,
        response: { 200: TaskBody, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, hotkey_id } = request.params;
      return taskToWire(await tasks.get(project_id, instance_id, hotkey_id), { withKeys: true });
    },
  );

  app.delete(
    '/instances/:instance_id/hotkey-task/:hotkey_id',
    {
      schema: {
        operationId: 'DeleteHotkeyScanTask',
        summary: 'Delete a hot key analysis task (stops it if running)',
        tags: ['hotkey'],
        params: TaskParams,
        response: { 200: TaskBody, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, hotkey_id } = request.params;
      return taskToWire(await tasks.delete(project_id, instance_id, hotkey_id), { withKeys: true });
    },
  );

  app.get(
    '/instances/:instance_id/hotkey/autoscan',
    {
      schema: {
        operationId: 'ShowHotkeyAutoscanConfig',
        summary: 'Show the daily automatic analysis settings',
        tags: ['hotkey'],
        params: InstanceParams,
        response: { 200: AutoscanConfig, ...errorResponses },
      },
    },
    async (request) => autoscanToWire(await autoscan.get(request.params.project_id, request.params.instance_id)),
  );

  app.put(
    '/instances/:instance_id/hotkey/autoscan',
    {
      schema: {
        operationId: 'UpdateHotkeyAutoScanConfig',
        summary: 'Configure the daily automatic analysis (UTC HH:mm)',
        tags: ['hotkey'],
        params: InstanceParams,
        body: AutoscanConfigRequest,
        response: { 200: AutoscanConfig, ...errorResponses },
      },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) throw new KeyheatError('emptyBody');
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const config = await autoscan.put(project_id, instance_id, {
        enableAutoScan: request.body.enable_auto_scan,
        scheduleAt: request.body.schedule_at,
        // keyheat: each run's task options (a daily snapshot analysis).
        options: request.body.options === undefined ? null : optionsFromWire(request.body.options),
      });
      return autoscanToWire(config);
    },
  );
};
