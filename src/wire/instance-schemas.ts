import { Type } from '@sinclair/typebox';
import { DISPLAY_NAME_PATTERN } from '../domain/display-text.js';

/** PEM text is a few KB; a chain of a few certificates stays well under this. */
const PEM_MAX = 65_536;

export const RedisTlsBody = Type.Object(
  {
    ca: Type.Optional(Type.String({ minLength: 1, maxLength: PEM_MAX, description: 'PEM CA certificate(s) to trust instead of the system CAs (redis-cli --cacert)' })),
    cert: Type.Optional(Type.String({ minLength: 1, maxLength: PEM_MAX, description: 'PEM client certificate, for tls-auth-clients (redis-cli --cert)' })),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: PEM_MAX, description: 'PEM private key of the client certificate (redis-cli --key); stored encrypted, never returned' })),
    servername: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'SNI and the name the certificate must carry (redis-cli --sni)' })),
    insecure: Type.Optional(Type.Boolean({ description: 'do not verify the server certificate (redis-cli --insecure)' })),
  },
  { additionalProperties: false, description: 'TLS toward Redis (and the Sentinels); given with a redis:// URL it turns TLS on' },
);

export const RegisterInstanceBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255, pattern: DISPLAY_NAME_PATTERN, description: 'no control or bidi characters' }),
  url: Type.String({
    minLength: 1,
    maxLength: 2048,
    description: 'redis://[[user]:password@]host:port, rediss://..., or redis+sentinel://[[user]:password@]host:port[,host:port...]/<master_name>',
  }),
  password: Type.Optional(Type.String({ maxLength: 1024, description: 'instead of a password in the URL' })),
  sentinel_password: Type.Optional(Type.String({ maxLength: 1024, description: "the Sentinels' own password (redis+sentinel:// only); stored encrypted, never returned" })),
  tls: Type.Optional(RedisTlsBody),
});

export const InstanceBody = Type.Object(
  {
    instance_id: Type.String(),
    name: Type.String(),
    engine: Type.Union([Type.Literal('Redis'), Type.Literal('Valkey')]),
    engine_version: Type.String(),
    mode: Type.Union([Type.Literal('single'), Type.Literal('cluster'), Type.Literal('sentinel')]),
    ip: Type.String({ description: 'the registered host (with Sentinel: the first Sentinel)' }),
    port: Type.Integer(),
    tls: Type.Optional(
      Type.Object({
        ca: Type.Union([Type.Literal('system'), Type.Literal('custom')]),
        client_certificate: Type.Boolean(),
        servername: Type.Optional(Type.String()),
        insecure: Type.Boolean(),
      }, { description: 'keyheat addition: how TLS is used (no PEM text is returned)' }),
    ),
    sentinel: Type.Optional(
      Type.Object({ master_name: Type.String(), sentinels: Type.Array(Type.String()) }, { description: 'keyheat addition: the Sentinels asked for the current primary at every task' }),
    ),
    status: Type.Union([Type.Literal('RUNNING'), Type.Literal('ERROR')], { description: 'last known reachability' }),
    created_at: Type.String(),
  },
  { $id: 'Instance', title: 'Instance' },
);

export const InstanceList = Type.Object({
  instances: Type.Array(InstanceBody),
  instance_num: Type.Integer(),
});
