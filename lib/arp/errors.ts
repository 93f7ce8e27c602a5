/** No ARP reply came: which address, on which interface, after how many requests. */
export class ArpTimeoutError extends Error {
  /** Always 'ETIMEDOUT'. */
  readonly code = 'ETIMEDOUT';
  /** The address asked for. */
  readonly address: string;
  /** Requests sent. */
  readonly attempts: number;
  constructor(address: string, interfaceName: string, attempts: number, waitedMs: number) {
    super(
      `no ARP reply from ${address} on ${interfaceName} to ${attempts} request(s) in ${(waitedMs / 1000).toFixed(1)} s: ` +
        'no host has that address on this link',
    );
    this.name = 'ArpTimeoutError';
    this.address = address;
    this.attempts = attempts;
  }
}
