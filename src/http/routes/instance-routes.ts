import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { InstanceService } from '../../service/instance-service.js';
import { errorResponses, InstanceParams, ProjectParams } from '../../wire/common-schemas.js';
import { InstanceBody, InstanceList, RegisterInstanceBody } from '../../wire/instance-schemas.js';
import { instanceToWire, registrationFromWire } from '../../wire/wire-mappers.js';

export const instanceRoutes: FastifyPluginAsyncTypebox<{ instances: InstanceService }> = async (app, { instances }) => {
  app.post(
    '/instances',
    {
      schema: {
        summary: 'Register a Redis deployment (keyheat)',
        tags: ['instances'],
        params: ProjectParams,
        body: RegisterInstanceBody,
        response: { 200: InstanceBody, ...errorResponses },
      },
    },
    async (request) => instanceToWire(await instances.register(request.params.project_id, registrationFromWire(request.body))),
  );

  app.get(
    '/instances',
    {
      schema: { summary: 'List registered Redis deployments (keyheat)', tags: ['instances'], params: ProjectParams, response: { 200: InstanceList, ...errorResponses } },
    },
    async (request) => {
      const list = await instances.list(request.params.project_id);
      return { instances: list.map(instanceToWire), instance_num: list.length };
    },
  );

  app.get(
    '/instances/:instance_id',
    { schema: { summary: 'Show a registered Redis deployment (keyheat)', tags: ['instances'], params: InstanceParams, response: { 200: InstanceBody, ...errorResponses } } },
    async (request) => instanceToWire(await instances.get(request.params.project_id, request.params.instance_id)),
  );

  app.delete(
    '/instances/:instance_id',
    {
      schema: {
        summary: 'Unregister a Redis deployment with its tasks (keyheat)',
        tags: ['instances'],
        params: InstanceParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await instances.delete(request.params.project_id, request.params.instance_id);
      return reply.status(204).send(null);
    },
  );
};
