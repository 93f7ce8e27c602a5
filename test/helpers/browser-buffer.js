// Injected into the browser bundles of test/pure-entries.test.ts: Buffer from the `buffer`
// package, as browser bundlers supply it, also left on globalThis for the test's own code.
import { Buffer } from 'buffer';

globalThis.__rawsockBuffer = Buffer;

export { Buffer };
