// Timing shared by the DHCP exchanges: RFC 2131 §4.1 retransmission backoff, and the options a
// client asks for. (Waits that an AbortSignal ends are lib/core/abort.ts's delay().)
import { randomInt } from 'node:crypto';

/** udhcpc's default request list: subnet, router, DNS, host name, domain, broadcast, NTP, lease, T1, T2. */
export const DEFAULT_PARAMETERS = [1, 3, 6, 12, 15, 28, 42, 51, 54, 58, 59];

/** RFC 2131 §4.1: 4 s, 8 s, … up to 64 s, each randomised by ±1 s (or a quarter of a shorter wait). */
export function backoff(first: number, attempt: number): number {
  const base = Math.min(first * 2 ** attempt, 64_000);
  const jitter = Math.min(1000, Math.floor(base / 4));
  return base + randomInt(-jitter, jitter + 1);
}
