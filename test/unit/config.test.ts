import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, databaseUrl, loadConfig } from '../../src/config/load-config.js';

function file(contents: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-config-'));
  const name = path.join(dir, 'keyheat.yaml');
  writeFileSync(name, contents);
  return name;
}

describe('loadConfig', () => {
  it('has documented defaults without any source', () => {
    const config = loadConfig({ env: {} });
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 8080,
      request_timeout_ms: 30_000,
      keep_alive_timeout_ms: 72_000,
      idle_timeout_ms: 300_000,
      max_body_bytes: 65_536,
      preflight_timeout_ms: 30_000,
      max_preflights_per_project: 4,
    });
    expect(config.retention).toEqual({ max_tasks_per_instance: 100, max_result_bytes: 2 * 1024 * 1024 });
    expect(config.snapshot).toMatchObject({ stall_timeout_ms: 60_000, max_wait_ms: 600_000, max_slot_wait_ms: 1_800_000 });
    expect(config.analysis.max_groups).toBe(1024);
    expect(config.data_dir).toBe('./data');
    expect(config.analysis.top_k).toBe(100);
    expect(config.runner.concurrency).toBe(4);
    expect(config.projects).toEqual([]);
    expect(databaseUrl(config)).toBe(`sqlite:${path.join('data', 'keyheat.db')}`);
  });

  it('layers file < environment < flags', () => {
    const name = file('server: { host: 0.0.0.0, port: 9000 }\nanalysis: { top_k: 20 }\n');
    const env = { KEYHEAT_PORT: '9100', KEYHEAT_ANALYSIS_TOP_K: '30', KEYHEAT_DATABASE_URL: 'sqlite:/tmp/x.db' };
    const config = loadConfig({ file: name, env, flags: { server: { port: '9200' } } });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 9200 });
    expect(config.analysis.top_k).toBe(30);
    expect(databaseUrl(config)).toBe('sqlite:/tmp/x.db');
  });

  it("takes each of the container image's variables over its config file option", () => {
    const name = file(
      ['server: { host: 127.0.0.2, port: 9000 }', 'data_dir: /file/data', 'database: { url: "sqlite:/file/k.db" }', 'log: { level: warn }', 'secrets: { key: fromfile }'].join('\n'),
    );
    const env = {
      KEYHEAT_CONFIG: name,
      KEYHEAT_HOST: '0.0.0.0',
      KEYHEAT_PORT: '8080',
      KEYHEAT_DATA_DIR: '/data',
      KEYHEAT_DATABASE_URL: 'postgres://keyheat@db/keyheat',
      KEYHEAT_LOG_LEVEL: 'debug',
      KEYHEAT_SECRET_KEY: 'fromenv',
    };
    const config = loadConfig({ env });
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.data_dir).toBe('/data');
    expect(databaseUrl(config)).toBe('postgres://keyheat@db/keyheat');
    expect(config.log.level).toBe('debug');
    expect(config.secrets.key).toBe('fromenv');
    // Unset (or empty) variables leave the file's values.
    const fromFile = loadConfig({ env: { KEYHEAT_CONFIG: name, KEYHEAT_PORT: '' } });
    expect(fromFile.server).toMatchObject({ host: '127.0.0.2', port: 9000 });
    expect(fromFile.data_dir).toBe('/file/data');
    expect(fromFile.log.level).toBe('warn');
  });

  it('reads metrics.token from metrics.token_file, and refuses a short, missing or doubled one', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-token-'));
    const tokenFile = path.join(dir, 'metrics.token');
    writeFileSync(tokenFile, 'a-metrics-token-of-32-characters\n');
    expect(loadConfig({ env: { KEYHEAT_METRICS_TOKEN_FILE: tokenFile } }).metrics.token).toBe('a-metrics-token-of-32-characters');
    expect(() => loadConfig({ env: { KEYHEAT_METRICS_TOKEN_FILE: tokenFile, KEYHEAT_METRICS_TOKEN: 'another-token-0123456789' } })).toThrow(/give the token one way/);
    expect(() => loadConfig({ env: { KEYHEAT_METRICS_TOKEN_FILE: path.join(dir, 'missing') } })).toThrow(/token_file: cannot read/);
    // An endless file is read as 4 KiB, not forever, and refused.
    expect(() => loadConfig({ env: { KEYHEAT_METRICS_TOKEN_FILE: '/dev/zero' } })).toThrow(/control characters/);
    writeFileSync(tokenFile, 'short\n');
    expect(() => loadConfig({ env: { KEYHEAT_METRICS_TOKEN_FILE: tokenFile } })).toThrow(/at least 16 characters/);
  });

  it('reads the config file named by KEYHEAT_CONFIG, JSON included', () => {
    const name = file('{"projects":[{"project_id":"p1","tokens":["0123456789abcdef0123"]}]}');
    const config = loadConfig({ env: { KEYHEAT_CONFIG: name } });
    expect(config.projects[0]).toEqual({ project_id: 'p1', tokens: ['0123456789abcdef0123'], readonly_tokens: [], access_keys: [] });
  });

  it('names every invalid option', () => {
    const name = file('server: { port: 70000 }\nanalysis: { top_k: 0, typo: 1 }\n');
    expect(() => loadConfig({ file: name, env: {} })).toThrow(ConfigError);
    try {
      loadConfig({ file: name, env: {} });
    } catch (error) {
      expect((error as Error).message).toMatch(/\/server\/port/);
      expect((error as Error).message).toMatch(/\/analysis\/top_k/);
    }
  });

  it('refuses a configured instance name with control or bidi characters', () => {
    const named = (name: string): string => file(`instances:\n  - { project_id: p1, instance_id: c1, name: ${JSON.stringify(name)}, url: "redis://127.0.0.1:6380" }\n`);
    expect(() => loadConfig({ file: named('cache-1'), env: {} })).not.toThrow();
    for (const name of ['nul\u0000', 'esc\u001b[2J', 'bidi\u202e']) expect(() => loadConfig({ file: named(name), env: {} }), JSON.stringify(name)).toThrow(/\/instances\/0\/name/);
  });

  it('takes webhooks of http(s) URLs with a secret and known events, and names what is wrong with one', () => {
    const hook = (fields: string): string => file(`notifications:\n  webhooks:\n    - { ${fields} }\n`);
    const good = 'url: "https://hooks.example/keyheat", secret: "0123456789abcdef", events: [task.failed, finding.hot_key]';
    expect(loadConfig({ file: hook(good), env: {} }).notifications).toMatchObject({ webhooks: [{ events: ['task.failed', 'finding.hot_key'] }], hot_key_qps: 1000, queue_max: 1000 });
    const refused: [string, RegExp][] = [
      ['url: "ftp://hooks.example/k", secret: "0123456789abcdef", events: [task.failed]', /\/notifications\/webhooks\/0\/url/],
      ['url: "https://user:pw@hooks.example/k", secret: "0123456789abcdef", events: [task.failed]', /webhooks\/0\/url: credentials in the URL/],
      ['url: "https://hooks.example/k", secret: "short", events: [task.failed]', /\/notifications\/webhooks\/0\/secret/],
      ['url: "https://hooks.example/k", secret: "0123456789abcdef", events: [task.done]', /\/notifications\/webhooks\/0\/events/],
      ['url: "https://hooks.example/k", secret: "0123456789abcdef", events: []', /\/notifications\/webhooks\/0\/events/],
    ];
    for (const [fields, message] of refused) expect(() => loadConfig({ file: hook(fields), env: {} }), fields).toThrow(message);
  });

  it('says so when the file is missing or not YAML', () => {
    expect(() => loadConfig({ file: '/nonexistent/keyheat.yaml', env: {} })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ file: file('server: [unclosed'), env: {} })).toThrow(/not valid YAML/);
  });

  it('reads server.tls from the environment too, and wants both files', () => {
    const config = loadConfig({ env: { KEYHEAT_SERVER_TLS_CERT: '/etc/keyheat/cert.pem', KEYHEAT_SERVER_TLS_KEY: '/etc/keyheat/key.pem' } });
    expect(config.server.tls).toEqual({ cert: '/etc/keyheat/cert.pem', key: '/etc/keyheat/key.pem' });
    expect(() => loadConfig({ env: { KEYHEAT_SERVER_TLS_CERT: '/etc/keyheat/cert.pem' } })).toThrow(/server\/tls\/key/);
    expect(() => loadConfig({ env: { KEYHEAT_SERVER_REQUEST_TIMEOUT_MS: '10' } })).toThrow(/request_timeout_ms/);
  });

  it('refuses a non-numeric port from the environment', () => {
    expect(() => loadConfig({ env: { KEYHEAT_PORT: 'eighty' } })).toThrow(/\/server\/port/);
  });
});
