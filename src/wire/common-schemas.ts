import { Type } from '@sinclair/typebox';

export const ErrorBody = Type.Object(
  {
    error_code: Type.String({ maxLength: 9, description: 'DCS error code, e.g. DCS.4922' }),
    error_msg: Type.String({ maxLength: 1024 }),
    error_ext_msg: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()], { description: 'keyheat puts the precise reason here' }),
    request_id: Type.Optional(Type.String({ description: 'on APIG.0301 signature errors, as the Huawei Cloud gateway sends it' })),
  },
  { $id: 'ErrorBody', title: 'ErrorBody' },
);

/** The error statuses every /v2 route can answer with. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  500: ErrorBody,
} as const;

/** Project, instance and task ids in a path; the CLI client checks its arguments with the same rule. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

const Id = Type.String({ pattern: ID_PATTERN });

export const ProjectParams = Type.Object({ project_id: Id });
export const InstanceParams = Type.Object({ project_id: Id, instance_id: Id });
export const TaskParams = Type.Object({ project_id: Id, instance_id: Id, hotkey_id: Id });
export const BigTaskParams = Type.Object({ project_id: Id, instance_id: Id, bigkey_id: Id });
export const KindTaskParams = Type.Object({ project_id: Id, instance_id: Id, task_id: Id });
