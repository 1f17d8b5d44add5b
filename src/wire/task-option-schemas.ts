/**
 * The create bodies' options, made from the option catalogue (domain/task-options.ts): each
 * kind's body lists exactly the options of that kind, with their ranges, and refuses any other
 * field (a typo such as max_cpu_shar is a 400 naming it, never silently ignored).
 */
import { Type, type TObject, type TOptional, type TSchema } from '@sinclair/typebox';
import { optionsOfKind, type TaskOptionSpec } from '../domain/task-options.js';
import type { TaskKind } from '../domain/task-status.js';

function optionSchema(spec: TaskOptionSpec): TOptional<TSchema> {
  const description = `keyheat: ${spec.description}`;
  switch (spec.value.type) {
    case 'number': {
      const { limit } = spec.value;
      const range = { minimum: limit.min, maximum: limit.max, description };
      return Type.Optional(limit.integer ? Type.Integer(range) : Type.Number(range));
    }
    case 'boolean':
      return Type.Optional(Type.Boolean({ description }));
    case 'enum':
      return Type.Optional(Type.Union(spec.value.values.map((v) => Type.Literal(v)), { description }));
    case 'string':
      return Type.Optional(Type.String({ pattern: spec.value.pattern, maxLength: spec.value.maxLength, description }));
  }
}

/** A kind's options as schema properties, by wire name. */
export function optionProperties(kind: TaskKind): Record<string, TOptional<TSchema>> {
  return Object.fromEntries(optionsOfKind(kind).map((spec) => [spec.wire, optionSchema(spec)]));
}

/** The optional body of a kind's create (DCS clients send none): its options, nothing else. */
export function createBodyOf(kind: TaskKind): TObject<Record<string, TOptional<TSchema>>> {
  const required = optionsOfKind(kind).filter((spec) => spec.required === true).map((spec) => spec.wire);
  const body = Type.Object(optionProperties(kind), { additionalProperties: false });
  // A required option stays optional in the TypeScript type (the service reads every body alike); the schema says it is required.
  return required.length === 0 ? body : { ...body, required };
}

/** A task's `options` as it reads back. */
export function optionsBodyOf(kind: TaskKind, description: string): TOptional<TObject<Record<string, TOptional<TSchema>>>> {
  return Type.Optional(Type.Object(optionProperties(kind), { description }));
}
