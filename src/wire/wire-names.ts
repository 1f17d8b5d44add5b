/**
 * A key name on the wire, wherever results carry one (hot keys, big keys, sampled keys, a type's
 * largest key, a trend's gone keys): `name`, and keyheat's `name_base64` (exact bytes of an
 * escaped name), `truncated` and `name_sha1` (a name longer than the 1024 bytes kept).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ReportedName } from '../domain/reported-name.js';

export const WireNameFields = {
  name: Type.String({ description: 'key name; redis-cli escaping (\\xff) when not valid UTF-8; its first 1024 bytes when truncated' }),
  name_base64: Type.Optional(Type.String({ description: 'keyheat: exact name bytes, only when name is escaped' })),
  truncated: Type.Optional(Type.Boolean({ description: 'keyheat: the name is longer than the 1024 bytes an analysis keeps: name is its beginning' })),
  name_sha1: Type.Optional(Type.String({ description: 'keyheat: SHA-1 (hex) of the whole name, when truncated' })),
};

export const WireNameBody = Type.Object(WireNameFields);
type WireName = Static<typeof WireNameBody>;

export function nameToWire(key: ReportedName): WireName {
  return {
    name: key.name,
    ...(key.nameBase64 === undefined ? {} : { name_base64: key.nameBase64 }),
    ...(key.truncated === true ? { truncated: true } : {}),
    ...(key.nameSha1 === undefined ? {} : { name_sha1: key.nameSha1 }),
  };
}

export function nameFromWire(key: WireName): ReportedName {
  return {
    name: key.name,
    ...(key.name_base64 === undefined ? {} : { nameBase64: key.name_base64 }),
    ...(key.truncated === true ? { truncated: true } : {}),
    ...(key.name_sha1 === undefined ? {} : { nameSha1: key.name_sha1 }),
  };
}
