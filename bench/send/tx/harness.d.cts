// Types of harness.cjs for the TypeScript senders.
declare const harness: {
  go(): Promise<bigint>;
  finish(sent: number, start: bigint): void;
  countAndPayload(at: number): { count: number; payload: Buffer };
  fail(error: unknown): never;
};
export = harness;
