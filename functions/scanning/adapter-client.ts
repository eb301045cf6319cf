import { ScanError } from './scan-common.js';
import { type VulnerabilityReport, vulnerabilityReportType } from './report.js';
import type { ScannerRegistration } from './scanner-registry.js';

/** Media types of the Pluggable Scanner API v1.2 (goharbor/pluggable-scanner-spec). */
export const adapterTypes = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.1',
  scanRequest: 'application/vnd.scanner.adapter.scan.request+json; version=1.1',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
  harborReport: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
  sbomReport: 'application/vnd.security.sbom.report+json; version=1.0',
} as const;

export interface AdapterMetadata {
  scanner: { name: string; vendor: string; version: string };
  capabilities: { type?: string; consumes_mime_types: string[]; produces_mime_types: string[] }[];
  properties?: Record<string, string>;
}

export interface ScanRequest {
  registry: { url: string; authorization?: string };
  artifact: { repository: string; digest: string; tag?: string; mime_type?: string };
}

function headersFor(registration: ScannerRegistration): Record<string, string> {
  switch (registration.auth) {
    case 'Basic':
      return { authorization: `Basic ${Buffer.from(registration.access_credential).toString('base64')}` };
    case 'Bearer':
      return { authorization: `Bearer ${registration.access_credential}` };
    case 'X-ScannerAdapter-API-Key':
      return { 'x-scanneradapter-api-key': registration.access_credential };
    default:
      return {};
  }
}

function endpoint(registration: ScannerRegistration, path: string): string {
  return `${registration.url.replace(/\/+$/, '')}/api/v1${path}`;
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (message) return message;
  } catch {
    // not JSON: the text itself, cut short
  }
  return text.slice(0, 300) || `HTTP ${response.status}`;
}

/** GET /api/v1/metadata of an adapter. */
export async function adapterMetadata(registration: ScannerRegistration, signal?: AbortSignal): Promise<AdapterMetadata> {
  const response = await fetch(endpoint(registration, '/metadata'), {
    headers: { ...headersFor(registration), accept: `${adapterTypes.metadata}, application/vnd.scanner.adapter.metadata+json; version=1.0` },
    signal: signal ?? AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new ScanError(`scanner ${registration.name} metadata: ${await errorText(response)}`);
  const body = (await response.json()) as AdapterMetadata;
  if (!body?.scanner?.name || !Array.isArray(body.capabilities)) throw new ScanError(`scanner ${registration.name} answered metadata without scanner or capabilities`);
  return body;
}

export interface PollOptions {
  /** Give up after this long. */
  deadlineMs: number;
  /** Longest wait between polls, whatever Refresh-After asks. */
  maxWaitMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs one scan on an adapter: POST /api/v1/scan, then GET /api/v1/scan/{id}/report while it
 * answers 302 (waiting Refresh-After seconds between polls), until 200 (the report) or an error.
 */
export async function scanWithAdapter(registration: ScannerRegistration, request: ScanRequest, options: PollOptions): Promise<VulnerabilityReport> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const started = Date.now();
  const accepted = await fetch(endpoint(registration, '/scan'), {
    method: 'POST',
    headers: { ...headersFor(registration), 'content-type': adapterTypes.scanRequest, accept: adapterTypes.scanResponse },
    body: JSON.stringify({ ...request, enabled_capabilities: [{ type: 'vulnerability', produces_mime_types: [vulnerabilityReportType] }] }),
    signal: AbortSignal.timeout(30_000),
  });
  if (accepted.status !== 202) throw new ScanError(`scanner ${registration.name} refused the scan (${accepted.status}): ${await errorText(accepted)}`);
  const { id } = (await accepted.json()) as { id?: string };
  if (!id) throw new ScanError(`scanner ${registration.name} accepted the scan without an id`);
  for (;;) {
    const response = await fetch(endpoint(registration, `/scan/${encodeURIComponent(id)}/report`), {
      headers: { ...headersFor(registration), accept: vulnerabilityReportType },
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 200) return (await response.json()) as VulnerabilityReport;
    if (response.status !== 302) throw new ScanError(`scanner ${registration.name} failed the scan: ${await errorText(response)}`);
    await response.body?.cancel();
    const refresh = Number(response.headers.get('refresh-after') ?? '5');
    const wait = Math.min(options.maxWaitMs, Math.max(100, (Number.isFinite(refresh) ? refresh : 5) * 1000));
    if (Date.now() + wait - started > options.deadlineMs) throw new ScanError(`scanner ${registration.name} did not finish within ${Math.round(options.deadlineMs / 1000)} s`);
    await sleep(wait);
  }
}
