/** The benchmark table: one row per figure, its goal, and whether it met it. */
export interface Row {
  scenario: string;
  figure: string;
  goal: string;
  /** true/false, 'n/a', or a short verdict per goal when a row has several. */
  met: boolean | string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function renderTable(rows: Row[]): string {
  const head = ['scenario', 'figure', 'goal', 'met'];
  const body = rows.map((r) => [r.scenario, r.figure, r.goal, typeof r.met === 'string' ? r.met : r.met ? 'yes' : 'NO']);
  const md = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [md(head), md(head.map(() => '---')), ...body.map(md)].join('\n');
}
