/**
 * The DCS offline key analysis family: the report of one node's RDB, a fresh one streamed from
 * the node (new_backup) or a saved backup under the instance's backup folder (old_backup).
 * keyheat adds GET .../backups, the backups an analysis may read.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TaskService } from '../../service/task-service.js';
import { errorResponses, InstanceParams, KindTaskParams } from '../../wire/common-schemas.js';
import { offlineTaskToWire } from '../../wire/offline-mappers.js';
import { Backups, CreateOfflineBody, OfflineCreated, OfflineDeleted, OfflineList, OfflineNodes, OfflineTask } from '../../wire/offline-schemas.js';
import { ListTasksQuery } from '../../wire/task-schemas.js';
import { optionsFromWire } from '../../wire/wire-mappers.js';
import { clientGone } from '../client-gone.js';

export const offlineRoutes: FastifyPluginAsyncTypebox<{ tasks: TaskService }> = async (app, { tasks }) => {
  app.post(
    '/instances/:instance_id/offline/key-analysis',
    {
      schema: {
        operationId: 'CreateOfflineKeyAnalysis',
        summary: "Analyse one node's RDB: a fresh one (no backup_id), or a saved backup",
        tags: ['offline'],
        params: InstanceParams,
        body: CreateOfflineBody,
        response: { 200: OfflineCreated, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project_id, instance_id } = request.params;
      const task = await tasks.create(project_id, instance_id, 'manual', optionsFromWire(request.body), 'offline', clientGone(reply));
      return { task_id: task.id };
    },
  );

  app.get(
    '/instances/:instance_id/offline/key-analysis',
    {
      schema: {
        operationId: 'ListOfflineKeyAnalysisTask',
        summary: 'List offline key analyses, newest first',
        tags: ['offline'],
        params: InstanceParams,
        querystring: ListTasksQuery,
        response: { 200: OfflineList, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id } = request.params;
      const page = await tasks.list(project_id, instance_id, request.query, 'offline');
      return {
        instance_id,
        total: page.count,
        records: page.records.map((t) => ({
          id: t.id,
          status: t.status,
          created_at: t.createdAt,
          ...(t.startedAt === null ? {} : { started_at: t.startedAt }),
          ...(t.finishedAt === null ? {} : { finished_at: t.finishedAt }),
          ...(t.errorMsg === null ? {} : { error_msg: t.errorMsg }),
        })),
      };
    },
  );

  app.get(
    '/instances/:instance_id/offline/key-analysis/:task_id',
    {
      schema: {
        operationId: 'ShowOfflineKeyAnalysisTask',
        summary: 'Show an offline key analysis with its report',
        tags: ['offline'],
        params: KindTaskParams,
        response: { 200: OfflineTask, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, task_id } = request.params;
      return offlineTaskToWire(await tasks.get(project_id, instance_id, task_id, 'offline'));
    },
  );

  app.delete(
    '/instances/:instance_id/offline/key-analysis/:task_id',
    {
      schema: {
        operationId: 'DeleteOfflineKeyAnalysisTask',
        summary: 'Delete an offline key analysis (stops it if running)',
        tags: ['offline'],
        params: KindTaskParams,
        response: { 200: OfflineDeleted, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, task_id } = request.params;
      const deleted = await tasks.delete(project_id, instance_id, task_id, 'offline');
      return { task_id: deleted.id };
    },
  );

  app.get(
    '/instances/:instance_id/offline/key-analysis/:task_id/nodes',
    {
      schema: {
        operationId: 'ListOfflineKeyAnalysisNodes',
        summary: "The instance's nodes an offline analysis may read (every primary and usable replica)",
        tags: ['offline'],
        params: KindTaskParams,
        response: { 200: OfflineNodes, ...errorResponses },
      },
    },
    async (request) => {
      const { project_id, instance_id, task_id } = request.params;
      const nodes = await tasks.nodes(project_id, instance_id, task_id);
      return { nodes: nodes.map((n) => ({ id: n.id, name: n.name, group_name: n.groupName, node_type: n.role })) };
    },
  );

  app.get(
    '/instances/:instance_id/nodes',
    {
      schema: {
        operationId: 'ListInstanceNodes',
        summary: "keyheat: the instance's nodes an offline analysis may read, before any analysis (DCS lists them under a task only)",
        tags: ['offline'],
        params: InstanceParams,
        response: { 200: OfflineNodes, ...errorResponses },
      },
    },
    async (request) => {
      const nodes = await tasks.nodes(request.params.project_id, request.params.instance_id);
      return { nodes: nodes.map((n) => ({ id: n.id, name: n.name, group_name: n.groupName, node_type: n.role })) };
    },
  );

  app.get(
    '/instances/:instance_id/backups',
    {
      schema: {
        operationId: 'ListBackups',
        summary: "keyheat: the saved RDB files offline analyses may read (<offline.backup_dir>/<instance_id>/)",
        tags: ['offline'],
        params: InstanceParams,
        response: { 200: Backups, ...errorResponses },
      },
    },
    async (request) => {
      const backups = await tasks.backups(request.params.project_id, request.params.instance_id);
      return { backups: backups.map((b) => ({ backup_id: b.backupId, size_bytes: b.sizeBytes, created_at: b.createdAt })) };
    },
  );
};
