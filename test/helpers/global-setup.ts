// Every test runs inside the namespace made by scripts/in-netns.mjs (npm test). Refuse to run
// outside it rather than touch the host's network.
export default function setup(): void {
  if (process.env.RAWSOCK_TEST_NETNS !== '1') {
    throw new Error('run the tests with `npm test`: they must run inside a fresh user + network namespace');
  }
}
