/**
 * `npm run bench [scenario]`: every benchmark scenario, printed as one table (the README's
 * Performance section holds the latest). Not part of `npm test`: speed belongs here, not in
 * timed tests. Scenarios: calls, fan-out, resync, throttled, event-filter, cold-start, migration.
 */
import { coldStart } from './cold-start.ts';
import { migrationCost } from './migration.ts';
import { callsPerEvent, fanOut, resyncAtScale } from './provisioning.ts';
import { throttledAccounts } from './throttling.ts';
import { eventFilterDay } from './event-filter.ts';
import { renderTable, type Row } from './table.ts';

/** Calls per second per API for the resync (see README, Performance, for why this figure). */
const RESYNC_RATE = Number(process.env.BENCH_RESYNC_RATE ?? 100);

const scenarios: Array<[string, () => Promise<Row[]>]> = [
  ['calls', callsPerEvent],
  ['fan-out', fanOut],
  ['resync', () => resyncAtScale(RESYNC_RATE)],
  ['throttled', throttledAccounts],
  ['event-filter', eventFilterDay],
  ['cold-start', coldStart],
  ['migration', migrationCost],
];

const only = process.argv[2];
if (only && !scenarios.some(([n]) => n === only)) {
  console.error(`unknown scenario "${only}"; one of: ${scenarios.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
const rows: Row[] = [];
for (const [name, run] of scenarios) {
  if (only && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  rows.push(...(await run()));
}
console.log(renderTable(rows));
