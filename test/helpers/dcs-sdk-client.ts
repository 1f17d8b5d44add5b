/**
 * A DCS client built on the published Huawei Cloud Node SDK core, the way its DcsClient builds
 * the hot and big key requests (dcs-api.md section 6.4: the DCS service package itself is not on the
 * npm registry reachable here). Requests are signed by the SDK's own AK/SK signer.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { Logger4jInstance } from '@huaweicloud/huaweicloud-sdk-core/logger/log4jLogger.js';

// The SDK prints every 4xx it receives, whole axios config included, to stdout; the tests
// assert on those errors, they need not read them.
Logger4jInstance.level = 'off';

export type SdkResponse = Record<string, unknown> & { httpStatusCode?: number };

export class TestDcsClient {
  constructor(private readonly hc: HcClient) {}

  createHotkeyScanTask(instanceId: string): Promise<SdkResponse> {
    return this.send('POST', '/v2/{project_id}/instances/{instance_id}/hotkey-task', { instance_id: instanceId });
  }

  listHotKeyScanTasks(instanceId: string, query: { offset?: number; limit?: number; status?: string } = {}): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/hotkey-tasks', { instance_id: instanceId }, query);
  }

  showHotkeyTaskDetails(instanceId: string, hotkeyId: string): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/hotkey-task/{hotkey_id}', { instance_id: instanceId, hotkey_id: hotkeyId });
  }

  deleteHotkeyScanTask(instanceId: string, hotkeyId: string): Promise<SdkResponse> {
    return this.send('DELETE', '/v2/{project_id}/instances/{instance_id}/hotkey-task/{hotkey_id}', { instance_id: instanceId, hotkey_id: hotkeyId });
  }

  showHotkeyAutoscanConfig(instanceId: string): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/hotkey/autoscan', { instance_id: instanceId });
  }

  updateHotkeyAutoScanConfig(instanceId: string, body: { enable_auto_scan: boolean; schedule_at: string[] }): Promise<SdkResponse> {
    return this.send('PUT', '/v2/{project_id}/instances/{instance_id}/hotkey/autoscan', { instance_id: instanceId }, {}, body, 'application/json;charset=UTF-8');
  }

  createBigkeyScanTask(instanceId: string): Promise<SdkResponse> {
    return this.send('POST', '/v2/{project_id}/instances/{instance_id}/bigkey-task', { instance_id: instanceId });
  }

  listBigkeyScanTasks(instanceId: string, query: { offset?: number; limit?: number; status?: string } = {}): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/bigkey-tasks', { instance_id: instanceId }, query);
  }

  showBigkeyScanTaskDetails(instanceId: string, bigkeyId: string): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/bigkey-task/{bigkey_id}', { instance_id: instanceId, bigkey_id: bigkeyId });
  }

  deleteBigkeyScanTask(instanceId: string, bigkeyId: string): Promise<SdkResponse> {
    return this.send('DELETE', '/v2/{project_id}/instances/{instance_id}/bigkey-task/{bigkey_id}', { instance_id: instanceId, bigkey_id: bigkeyId });
  }

  showBigkeyAutoscanConfig(instanceId: string): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/bigkey/autoscan', { instance_id: instanceId });
  }

  updateBigkeyAutoscanConfig(instanceId: string, body: { enable_auto_scan: boolean; schedule_at: string[] }): Promise<SdkResponse> {
    return this.send('PUT', '/v2/{project_id}/instances/{instance_id}/bigkey/autoscan', { instance_id: instanceId }, {}, body, 'application/json;charset=UTF-8');
  }

  createAutoExpireScanTask(instanceId: string): Promise<SdkResponse> {
    return this.send('POST', '/v2/{project_id}/instances/{instance_id}/auto-expire/scan', { instance_id: instanceId });
  }

  scanExpireKey(instanceId: string): Promise<SdkResponse> {
    return this.send('POST', '/v2/{project_id}/instances/{instance_id}/scan-expire-keys-task', { instance_id: instanceId });
  }

  showExpireKeyScanInfo(instanceId: string, query: { offset?: number; limit?: number; status?: string } = {}): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/auto-expire/histories', { instance_id: instanceId }, query);
  }

  showExpireAutoScanConfig(instanceId: string): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/scan-expire-keys/autoscan-config', { instance_id: instanceId });
  }

  updateExpireAutoScanConfig(instanceId: string, body: { enable_auto_scan: boolean; first_scan_at: string; interval: number; timeout: number; scan_keys_count: number }): Promise<SdkResponse> {
    return this.send('PUT', '/v2/{project_id}/instances/{instance_id}/scan-expire-keys/autoscan-config', { instance_id: instanceId }, {}, body, 'application/json;charset=UTF-8');
  }

  createOfflineKeyAnalysis(instanceId: string, body: { node_id: string; backup_id?: string }): Promise<SdkResponse> {
    return this.send('POST', '/v2/{project_id}/instances/{instance_id}/offline/key-analysis', { instance_id: instanceId }, {}, body, 'application/json;charset=UTF-8');
  }

  listOfflineKeyAnalysisTask(instanceId: string, query: { offset?: number; limit?: number; status?: string } = {}): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/offline/key-analysis', { instance_id: instanceId }, query);
  }

  showOfflineKeyAnalysisTask(instanceId: string, taskId: string): Promise<SdkResponse> {
    return this.send('GET', '/v2/{project_id}/instances/{instance_id}/offline/key-analysis/{task_id}', { instance_id: instanceId, task_id: taskId });
  }

  deleteOfflineKeyAnalysisTask(instanceId: string, taskId: string): Promise<SdkResponse> {
    return this.send('DELETE', '/v2/{project_id}/instances/{instance_id}/offline/key-analysis/{task_id}', { instance_id: instanceId, task_id: taskId });
  }

  private send(
    method: string,
    url: string,
    pathParams: Record<string, string>,
    queryParams: Record<string, unknown> = {},
    data?: Record<string, unknown>,
    contentType = 'application/json',
  ): Promise<SdkResponse> {
    return this.hc.sendRequest({ method, url, contentType, queryParams, pathParams, headers: {}, ...(data === undefined ? {} : { data }) });
  }
}

export function dcsClient(endpoint: string, credentials: { ak: string; sk: string; projectId: string }): TestDcsClient {
  const credential = new BasicCredentials().withAk(credentials.ak).withSk(credentials.sk).withProjectId(credentials.projectId);
  return new ClientBuilder<TestDcsClient>((hc: HcClient) => new TestDcsClient(hc)).withEndpoint(endpoint).withCredential(credential).build();
}
