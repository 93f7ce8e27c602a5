// Waiting for something the kernel delivers asynchronously, without betting on a fixed sleep:
// CI machines under load can take far longer than a developer's laptop.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every few milliseconds until it is true or `timeoutMs` passed; never throws. */
export async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await sleep(5);
  }
  return done();
}
