// Exports (`GET /export/{requests,audit}.{csv,jsonl,parquet}`): the URL with its filters as
// query parameters (README "Exports"), and the download itself — fetched with the credential in
// the Authorization header and saved from a Blob, so the token never appears in a URL.

export type ExportKind = 'requests' | 'audit';
export type ExportFormat = 'csv' | 'jsonl' | 'parquet';
export const EXPORT_FORMATS: ExportFormat[] = ['csv', 'jsonl', 'parquet'];

/** Filters of `/export/requests.*`. */
export interface RequestExportFilter {
  workflowKey?: string | null;
  status?: readonly string[] | null;
  route?: string | null;
  /** RFC 3339. */
  submittedFrom?: string | null;
  /** RFC 3339. */
  submittedTo?: string | null;
}

/** Filters of `/export/audit.*`. */
export interface AuditExportFilter {
  workflowKey?: string | null;
  requestId?: string | null;
  types?: readonly string[] | null;
  afterSeq?: number | null;
}

/** The export path with the given filters; empty ones are left out, lists are comma-separated. */
export function exportUrl(kind: 'requests', format: ExportFormat, filter: RequestExportFilter): string;
export function exportUrl(kind: 'audit', format: ExportFormat, filter: AuditExportFilter): string;
export function exportUrl(kind: ExportKind, format: ExportFormat, filter: RequestExportFilter | AuditExportFilter): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(','));
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) params.set(key, String(value));
    } else if (typeof value === 'string' && value.trim()) {
      params.set(key, value.trim());
    }
  }
  const query = params.toString();
  return `/export/${kind}.${format}${query ? `?${query}` : ''}`;
}

/** The file name a response names in Content-Disposition, else `fallback`. */
export function fileNameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain?.[1]?.trim() || fallback;
}

/** The name to save an export under: `countersign-audit-2026-12-01.csv`. */
export function defaultFileName(url: string, now: Date = new Date()): string {
  const m = /\/export\/(\w+)\.(\w+)/.exec(url);
  const day = now.toISOString().slice(0, 10);
  return m ? `countersign-${m[1]}-${day}.${m[2]}` : `countersign-export-${day}`;
}

/** The server's explanation of a refused export (`{"error": {"code", "message"}}`), else the status. */
export function exportErrorText(status: number, statusText: string, body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    const message = parsed.error?.message;
    const code = parsed.error?.code;
    if (typeof message === 'string') return typeof code === 'string' ? `${message} (${code})` : message;
  } catch {
    /* not JSON */
  }
  const text = body.trim().slice(0, 300);
  return `The export failed: HTTP ${status}${statusText ? ` ${statusText}` : ''}${text ? ` — ${text}` : ''}`;
}

export class ExportError extends Error {}

/**
 * Fetches `url` with the bearer `token` and saves the body as a file. Returns the file name and
 * size; throws an ExportError with the server's explanation when refused.
 */
export async function downloadExport(url: string, token: string, fetchImpl: typeof fetch = fetch): Promise<{ fileName: string; bytes: number }> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { Authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new ExportError(`The server could not be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!response.ok) throw new ExportError(exportErrorText(response.status, response.statusText, await response.text().catch(() => '')));
  const blob = await response.blob();
  const fileName = fileNameOf(response.headers.get('Content-Disposition'), defaultFileName(url));
  saveBlob(blob, fileName);
  return { fileName, bytes: blob.size };
}

/** Offers `blob` as a download named `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** `1536` → `1.5 KB`. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
