import { Type } from '@sinclair/typebox';

export const RegisterInstanceBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'redis://[[user]:password@]host:port or rediss://...' }),
  password: Type.Optional(Type.String({ maxLength: 1024, description: 'instead of a password in the URL' })),
});

export const InstanceBody = Type.Object(
  {
    instance_id: Type.String(),
    name: Type.String(),
    engine: Type.Literal('Redis'),
    engine_version: Type.String(),
    mode: Type.Union([Type.Literal('single'), Type.Literal('cluster')]),
    ip: Type.String(),
    port: Type.Integer(),
    status: Type.Union([Type.Literal('RUNNING'), Type.Literal('ERROR')], { description: 'last known reachability' }),
    created_at: Type.String(),
  },
  { $id: 'Instance', title: 'Instance' },
);

export const InstanceList = Type.Object({
  instances: Type.Array(InstanceBody),
  instance_num: Type.Integer(),
});
