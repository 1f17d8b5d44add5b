/**
 * The monitoring files in deploy/, checked by the tools that read them:
 * - deploy/prometheus/keyheat-alerts.yml passes `promtool check rules`, and its unit tests
 *   (keyheat-alerts.test.yml) pass `promtool test rules`; every alert has a test;
 * - every query of deploy/grafana/keyheat.json is valid PromQL (`promtool check rules` on
 *   recording rules made of them, Grafana's variables replaced by values), and the dashboard
 *   type-checks against Grafana's own dashboard schema (the `Dashboard` type @grafana/schema
 *   generates from it), in an object literal so that a misspelt field or a wrong enum fails.
 * promtool comes from Debian's `prometheus` package (.ci/run installs it); without it the
 * PromQL checks say so and skip, except under CI where its absence fails.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { hasCommand } from '../helpers/commands.js';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const RULES = path.join(ROOT, 'deploy/prometheus/keyheat-alerts.yml');
const RULE_TESTS = path.join(ROOT, 'deploy/prometheus/keyheat-alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/keyheat.json');


const promtool = await hasCommand('promtool');
if (!promtool) {
  if (process.env['CI'] === '1') throw new Error('promtool is missing: .ci/run installs Debian\'s prometheus package');
  console.log('monitoring files: promtool not found, the PromQL checks are skipped');
}

async function promtoolRun(args: readonly string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', [...args], { cwd: path.dirname(RULES) });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr?: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { name: string }[] } };

/** A dashboard query as Prometheus would get it: Grafana's variables replaced by values. */
function substituted(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m').replaceAll('$__range', '1d').replaceAll('$instance', 'instance-id');
}

describe.runIf(promtool)('Prometheus rules', () => {
  it('pass promtool check rules', async () => {
    const result = await promtoolRun(['check', 'rules', RULES]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.code, result.output).toBe(0);
  });

  it('pass their unit tests, and every alert has one', async () => {
    const result = await promtoolRun(['test', 'rules', RULE_TESTS]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
    const alerts = (parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    const tested = new Set(
      (parseYaml(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests.flatMap((t) =>
        t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    for (const alert of alerts) expect(tested.has(alert), `${alert} has no test in which it fires`).toBe(true);
  });

  it('would catch a wrong expectation: a unit test that expects the wrong value fails', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-rules-'));
    try {
      writeFileSync(path.join(dir, 'keyheat-alerts.yml'), readFileSync(RULES));
      writeFileSync(path.join(dir, 'tests.yml'), readFileSync(RULE_TESTS, 'utf8').replace("key: 'feed:today', db: '0' }", "key: 'feed:yesterday', db: '0' }"));
      const result = await promtoolRun(['test', 'rules', path.join(dir, 'tests.yml')]);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/feed:yesterday/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('find every query of the Grafana dashboard valid PromQL', async () => {
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target, i) => ({ record: `keyheat:dashboard:panel_${dashboard.panels.indexOf(panel)}_${i}`, expr: target.expr })));
    expect(queries.length).toBeGreaterThanOrEqual(12);
    for (const q of queries) expect(q.expr, q.record).toBeTruthy();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyheat-dashboard-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yml');
      writeFileSync(file, stringifyYaml({ groups: [{ name: 'dashboard', rules: queries.map((q) => ({ record: q.record, expr: substituted(q.expr ?? '') })) }] }));
      const result = await promtoolRun(['check', 'rules', file]);
      expect(result.code, result.output).toBe(0);
      // And the check does fail on broken PromQL.
      writeFileSync(file, stringifyYaml({ groups: [{ name: 'dashboard', rules: [{ record: 'keyheat:broken', expr: 'max by (key (keyheat_hot_key_freq)' }] }] }));
      expect((await promtoolRun(['check', 'rules', file])).code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Grafana dashboard', () => {
  it('is templated on the instance and has the panels the monitoring guide names', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    const titles = dashboard.panels.map((p) => p.title).join('\n');
    for (const topic of [/hottest keys/i, /saturated/i, /big keys by type/i, /namespaces/i, /analysis duration/i, /failed tasks/i]) expect(titles).toMatch(topic);
    for (const panel of dashboard.panels) for (const target of panel.targets ?? []) if (target.expr?.includes('keyheat_hot_key') === true) expect(target.expr).toContain('instance_id="$instance"');
  });

  function typeErrors(source: string): string[] {
    const file = path.join(ROOT, 'test/deploy', `.dashboard-check-${process.pid}.ts`);
    writeFileSync(file, source);
    try {
      const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true });
      return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    } finally {
      rmSync(file, { force: true });
    }
  }

  it("type-checks against Grafana's dashboard schema (@grafana/schema), which catches a wrong field", () => {
    const json = readFileSync(DASHBOARD, 'utf8');
    // Grafana's string enums (ThresholdsMode...) as the unions of their values, which is what JSON holds.
    const check = (text: string) =>
      [
        "import type { Dashboard } from '@grafana/schema';",
        'type Json<T> = T extends string ? `${T}` : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
        `export const dashboard = (${text.trim()}) satisfies Json<Dashboard>;`,
        '',
      ].join('\n');
    const errors = typeErrors(check(json));
    expect(errors.join("\n\n")).toBe("");
    // Each mistake alone (TypeScript reports one per object literal).
    expect(typeErrors(check(json.replace('"graphTooltip": 1', '"graphTooltip": 1, "grapTooltip": 1'))).join('\n')).toMatch(/grapTooltip/);
    expect(typeErrors(check(json.replace('"mode": "absolute"', '"mode": "absolutely"'))).join('\n')).toMatch(/absolutely/);
  }, 60_000);
});
