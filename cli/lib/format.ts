/** Text output shared by the commands: aligned tables, policies, times and durations. */

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

/** `AmazonEKSViewPolicy@cluster` or `AmazonEKSEditPolicy@team-a,team-b`. */
export function policyText(p: { policyArn: string; accessScope: { type: string; namespaces?: string[] } }): string {
  const name = p.policyArn.slice(p.policyArn.lastIndexOf('/') + 1);
  return `${name}@${p.accessScope.type === 'namespace' ? (p.accessScope.namespaces ?? []).join(',') : 'cluster'}`;
}

/** ISO 8601 to the second, UTC: `2026-03-22T10:15:04Z`. */
export function timeText(d: Date | undefined): string {
  return d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** `850ms`, `12.4s`, `3m05s`, `2h04m`. */
export function durationText(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The message of any thrown value, with the AWS error name when there is one. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}
