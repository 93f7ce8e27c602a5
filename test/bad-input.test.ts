// The bad-input matrix (test/helpers/bad-input-table.ts, docs/bad-input.md): one test per row,
// each checking the error class, code, errno and syscall the user gets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BAD_INPUT, type BadInputRow, renderBadInputTable } from './helpers/bad-input-table.js';
import { runWithoutCaps, tsxNode } from './helpers/netns.js';

const here = path.dirname(new URL(import.meta.url).pathname);

async function thrown(row: BadInputRow): Promise<Error | undefined> {
  try {
    await row.call();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

function check(
  row: BadInputRow,
  error: { name?: string; code?: unknown; errno?: unknown; syscall?: unknown; message?: string } | undefined,
) {
  expect(error, 'it must throw').toBeDefined();
  const { message, ...shape } = row.error;
  expect(error).toMatchObject(shape);
  if (message) expect(error?.message).toMatch(message);
}

describe('bad input gives the documented error', () => {
  it.each(BAD_INPUT.map((row) => [row.fn, row.input, row] as const))('%s: %s', async (_fn, _input, row) => {
    if (!row.privileged) {
      const error = await thrown(row);
      if (error) expect(error.constructor.name).toBe(row.error.name);
      check(row, error);
      return;
    }
    const index = BAD_INPUT.indexOf(row);
    const script = `
      import { BAD_INPUT } from ${JSON.stringify(path.join(here, 'helpers/bad-input-table.ts'))};
      try { await BAD_INPUT[${index}].call(); console.log('{}'); }
      catch (e) { console.log(JSON.stringify({ name: e.constructor.name, code: e.code, errno: e.errno, syscall: e.syscall, message: e.message })); }`;
    const result = await runWithoutCaps([row.privileged], process.execPath, [
      ...tsxNode,
      '--input-type=module',
      '-e',
      script,
    ]);
    check(row, JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}'));
  });

  it('docs/bad-input.md holds exactly this table', () => {
    const doc = readFileSync(path.join(here, '../docs/bad-input.md'), 'utf8');
    expect(doc).toContain(renderBadInputTable());
  });
});
