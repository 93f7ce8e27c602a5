// vitest.arm64.config.ts: refuse to run anywhere but an arm64 Node loading a named addon file, so
// `npm run test:arm64` can never pass by testing the host's x64 build instead.
export default function setup(): void {
  if (process.arch !== 'arm64') {
    throw new Error(`vitest.arm64.config.ts runs under an arm64 Node (npm run test:arm64); this is ${process.arch}`);
  }
  if (!process.env.RAWSOCK_ADDON)
    throw new Error('vitest.arm64.config.ts needs RAWSOCK_ADDON naming the arm64 prebuild');
}
