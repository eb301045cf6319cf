import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { repoRoot } from './server-process.js';

/**
 * The Node server's log lines (configureLogging with `batched`): every line logged during one
 * turn of the event loop reaches stdout in one write, in order, and a line still pending when
 * the process exits is written all the same.
 */
const script = `
import { configureLogging, log } from './functions/ops/logger.ts';
configureLogging({ BERTH_LOG_LEVEL: 'info' }, { batched: true });
const writes = [];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => { writes.push(String(chunk)); return write(chunk, ...rest); };
for (let n = 0; n < 3; n++) log.info('line', { n });
const duringTurn = writes.length;
setImmediate(() => {
  process.stderr.write(JSON.stringify({ duringTurn, afterTurn: writes.length, linesInFirstWrite: writes[0]?.split('\\n').filter(Boolean).length }) + '\\n');
  log.info('line', { n: 3 });
  process.exit(0);
});
`;

describe('log lines on the Node server', () => {
  test('are written once per turn of the event loop, in order, and flushed at exit', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' },
      timeout: 30_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stderr.trim().split('\n').at(-1)!)).toEqual({ duringTurn: 0, afterTurn: 1, linesInFirstWrite: 3 });
    const lines = child.stdout.trim().split('\n').map((line) => JSON.parse(line) as { message: string; n: number; level: string });
    expect(lines.map((line) => line.n)).toEqual([0, 1, 2, 3]);
    expect(lines.every((line) => line.level === 'INFO' && line.message === 'line')).toBe(true);
  });
});
