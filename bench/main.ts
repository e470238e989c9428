/**
 * `npm run bench`: every benchmark scenario, printed as one table (the README's Performance
 * section holds the latest). Not part of `npm test`: speed belongs here, not in timed tests.
 */
import { coldStart } from './cold-start.ts';
import { renderTable, type Row } from './table.ts';

const rows: Row[] = [];
const only = process.argv[2];
const scenarios: Array<[string, () => Promise<Row[]>]> = [['cold-start', coldStart]];
for (const [name, run] of scenarios) {
  if (only && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  rows.push(...(await run()));
}
console.log(renderTable(rows));
