import { describe, expect, it, vi } from 'vitest';
import { byteSize, defaultFileName, downloadExport, ExportError, exportErrorText, exportUrl, fileNameOf } from './download';

describe('export URLs', () => {
  it('carries the filters as query parameters, lists comma-separated, empties left out', () => {
    expect(exportUrl('audit', 'csv', { workflowKey: 'invoices', requestId: '', types: ['POLICY_PROPOSED', 'POLICY_ACTIVATED'], afterSeq: 1000 })).toBe(
      '/export/audit.csv?workflowKey=invoices&types=POLICY_PROPOSED%2CPOLICY_ACTIVATED&afterSeq=1000',
    );
    expect(exportUrl('requests', 'parquet', { status: ['APPROVED', 'EXECUTED'], submittedFrom: '2026-11-01T00:00:00.000Z', route: null })).toBe(
      '/export/requests.parquet?status=APPROVED%2CEXECUTED&submittedFrom=2026-11-01T00%3A00%3A00.000Z',
    );
    expect(exportUrl('audit', 'jsonl', {})).toBe('/export/audit.jsonl');
    expect(exportUrl('audit', 'jsonl', { types: [], afterSeq: null })).toBe('/export/audit.jsonl');
  });
  it('never carries a token', () => {
    expect(exportUrl('audit', 'csv', { workflowKey: 'x' })).not.toMatch(/token|Bearer|Authorization/i);
  });
});

describe('file names and errors', () => {
  it('reads Content-Disposition', () => {
    expect(fileNameOf('attachment; filename="audit.csv"', 'x')).toBe('audit.csv');
    expect(fileNameOf("attachment; filename*=UTF-8''a%20b.csv", 'x')).toBe('a b.csv');
    expect(fileNameOf(null, 'fallback.csv')).toBe('fallback.csv');
    expect(defaultFileName('/export/requests.parquet?x=1', new Date('2026-12-01T10:00:00Z'))).toBe('countersign-requests-2026-12-01.parquet');
  });
  it("shows the server's code and message", () => {
    expect(exportErrorText(400, 'Bad Request', '{"error":{"code":"BAD_USER_INPUT","message":"unknown status FOO"}}')).toBe('unknown status FOO (BAD_USER_INPUT)');
    expect(exportErrorText(502, 'Bad Gateway', 'upstream down')).toBe('The export failed: HTTP 502 Bad Gateway — upstream down');
  });
  it('formats sizes', () => {
    expect(byteSize(10)).toBe('10 B');
    expect(byteSize(1536)).toBe('1.5 KB');
    expect(byteSize(3 * 1024 * 1024)).toBe('3.0 MB');
  });
});

describe('downloadExport', () => {
  it('sends the token in the Authorization header only and saves the blob', async () => {
    const fetchImpl = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
      new Response('a,b\n1,2\n', { status: 200, headers: { 'Content-Disposition': 'attachment; filename="audit.csv"' } }),
    );
    const created: string[] = [];
    URL.createObjectURL = vi.fn(() => {
      created.push('blob:x');
      return 'blob:x';
    });
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    const result = await downloadExport('/export/audit.csv?workflowKey=w', 'secret-token', fetchImpl as unknown as typeof fetch);
    expect(result).toEqual({ fileName: 'audit.csv', bytes: 8 });
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe('/export/audit.csv?workflowKey=w');
    expect(String(url)).not.toMatch(/secret-token/);
    expect((init?.headers as Record<string, string>)['Authorization']).toBe('Bearer secret-token');
    expect(click).toHaveBeenCalledOnce();
    expect(created).toHaveLength(1);
    click.mockRestore();
  });
  it('throws the server explanation when refused', async () => {
    const fetchImpl = vi.fn(async () => new Response('{"error":{"code":"FORBIDDEN","message":"auditor or admin only"}}', { status: 403 }));
    await expect(downloadExport('/export/audit.csv', 't', fetchImpl as unknown as typeof fetch)).rejects.toThrow(new ExportError('auditor or admin only (FORBIDDEN)'));
  });
});
