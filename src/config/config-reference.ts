/**
 * docs/configuration.md, made from the config schema itself, so the reference cannot drift from
 * what keyheat accepts: every option with its type, default, range, environment variable and
 * description. `npm run docs:config` writes it; a test fails when the file differs.
 */
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './config-schema.js';
import { ENV_ALIASES } from './load-config.js';

interface Row {
  readonly path: string;
  readonly type: string;
  readonly fallback: string;
  readonly env: string;
  readonly description: string;
}

/** The option's type in words: integer 0-65535, one of a | b, list of strings... */
function typeOf(schema: TSchema): string {
  const kind = schema[Kind] as string;
  if (kind === 'Union') {
    const literals = (schema['anyOf'] as TSchema[]).map((s) => s['const'] as unknown);
    return literals.every((l) => typeof l === 'string') ? `one of ${literals.map((l) => `\`${String(l)}\``).join(', ')}` : 'union';
  }
  if (kind === 'Integer' || kind === 'Number') {
    const min = schema['minimum'] as number | undefined;
    const max = schema['maximum'] as number | undefined;
    const word = kind === 'Integer' ? 'integer' : 'number';
    if (min !== undefined && max !== undefined) return `${word} ${min.toLocaleString('en-US')}-${max.toLocaleString('en-US')}`;
    if (min !== undefined) return `${word} >= ${min.toLocaleString('en-US')}`;
    return word;
  }
  if (kind === 'String') {
    const min = schema['minLength'] as number | undefined;
    return min !== undefined && min > 1 ? `string (${min}+ characters)` : 'string';
  }
  if (kind === 'Boolean') return 'boolean';
  if (kind === 'Array') return 'list';
  if (kind === 'Object') return 'object';
  return kind.toLowerCase();
}

function defaultOf(schema: TSchema): string {
  const value = schema['default'] as unknown;
  if (value === undefined) return schema[OptionalKind] === 'Optional' ? 'unset' : '-';
  if (Array.isArray(value) && value.length === 0) return '`[]`';
  if (typeof value === 'object' && value !== null) return '-';
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
}

function envOf(path: readonly string[], inList: boolean): string {
  if (inList) return '-';
  const alias = Object.entries(ENV_ALIASES).find(([, keys]) => keys.join('.') === path.join('.'))?.[0];
  const name = `KEYHEAT_${path.join('_').toUpperCase()}`;
  return alias === undefined ? `\`${name}\`` : `\`${name}\`, \`${alias}\``;
}

function rowsOf(schema: TSchema, path: string[], inList: boolean): Row[] {
  const kind = schema[Kind] as string;
  if (kind === 'Object' && path.length > 0 && schema['properties'] !== undefined && Object.keys(schema['properties'] as object).length > 0) {
    const own: Row[] = schema['description'] === undefined ? [] : [{ path: path.join('.'), type: 'object', fallback: defaultOf(schema), env: '-', description: String(schema['description']) }];
    return [...own, ...childRows(schema, path, inList)];
  }
  if (kind === 'Object') return childRows(schema, path, inList);
  if (kind === 'Array' && (schema['items'] as TSchema)[Kind] === 'Object') {
    const items = schema['items'] as TSchema;
    return [
      { path: path.join('.'), type: 'list of objects', fallback: defaultOf(schema), env: '-', description: String(schema['description'] ?? '') },
      ...childRows(items, [...path.slice(0, -1), `${path[path.length - 1] ?? ''}[]`], true),
    ];
  }
  const env = path.join('.') === 'network.allow' ? '`KEYHEAT_NETWORK_ALLOW` (comma-separated)' : kind === 'Array' ? '-' : envOf(path, inList);
  return [{ path: path.join('.'), type: typeOf(schema), fallback: defaultOf(schema), env, description: String(schema['description'] ?? '') }];
}

function childRows(schema: TSchema, path: string[], inList: boolean): Row[] {
  const properties = schema['properties'] as Record<string, TSchema>;
  return Object.entries(properties).flatMap(([key, child]) => rowsOf(child, [...path, key], inList));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, ' ');

export function configReference(): string {
  const rows = rowsOf(ConfigSchema, [], false);
  const sections = new Map<string, Row[]>();
  for (const row of rows) {
    const top = row.path.split(/[.[]/)[0] ?? row.path;
    sections.set(top, [...(sections.get(top) ?? []), row]);
  }
  const parts = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/config-schema.ts by `npm run docs:config`; a test fails when it differs. Do not edit by hand. -->',
    '',
    'Every option keyheat reads, from the config file (YAML or JSON: `keyheat serve --config FILE` or',
    '`KEYHEAT_CONFIG`), the environment, or flags: defaults < file < environment < flags. An',
    "environment variable is `KEYHEAT_` and the option's path in upper case, dots as underscores.",
    'Lists (projects, instances, webhooks) come from the file only; `network.allow` also from',
    '`KEYHEAT_NETWORK_ALLOW`, comma-separated.',
    'Values from the environment are converted to the option\'s type. An unknown option, or one out',
    'of range, stops keyheat at start naming it.',
    '',
  ];
  for (const [top, list] of sections) {
    parts.push(`## ${top}`, '', '| option | type | default | environment | meaning |', '|---|---|---|---|---|');
    for (const row of list) parts.push(`| \`${row.path}\` | ${cell(row.type)} | ${cell(row.fallback)} | ${row.env} | ${cell(row.description)} |`);
    parts.push('');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}
