// Ring batches live in memory that is recycled once the GC collected every view of it
// (src-native/batch_memory.h). The guarantee that must survive the recycling: a packet that is
// still referenced keeps its bytes, whatever later batches land in the pool's chunks.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, tsxNode } from './helpers/netns.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('recycled batch memory', () => {
  it('reuses the memory of collected batches and never that of a packet still referenced', async () => {
    const result = await run(
      process.execPath,
      ['--expose-gc', ...tsxNode, path.join(here, 'helpers/batch-recycling.ts')],
      {
        timeoutMs: 60_000,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const outcome = JSON.parse(result.stdout) as Record<string, number>;
    expect(outcome.received).toBe(1600);
    expect(outcome.kept).toBe(800);
    // Memory did come back from collected batches, so later rounds were written into it...
    expect(outcome.recycledBatches).toBeGreaterThan(0);
    expect(outcome.freshBatches).toBeGreaterThan(0);
    // ...and not one kept packet changed.
    expect(outcome.changed).toBe(0);
  });
});
