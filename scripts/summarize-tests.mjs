// Prints the line CI reads ("N passed, N failed") from vitest's JSON report. A file that failed to load
// (no test inside it failed, but the file did) counts as one failure; skipped or todo tests fail the run.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let failed = report.numFailedTests;
for (const file of report.testResults ?? []) {
  const anyTestFailed = (file.assertionResults ?? []).some((a) => a.status === 'failed');
  if (file.status === 'failed' && !anyTestFailed) failed += 1;
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || skipped > 0 ? 1 : 0);
