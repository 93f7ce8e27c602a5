// The summary iputils ping prints, computed as iputils computes it (ping_common.c
// gather_statistics() and finish()): round-trip times in whole microseconds; duplicates count in
// the RTT figures but not as received; avg = tsum / (received + duplicates) and mdev the
// population standard deviation sqrt(tsum2 / n - avg²), both in integer microseconds; loss from
// received (duplicates excluded) over transmitted.

/** Round-trip time figures in milliseconds (three decimals: iputils' microsecond arithmetic). */
export interface RttStatistics {
  /** Shortest round trip. */
  min: number;
  /** Mean over replies and duplicates. */
  avg: number;
  /** Longest round trip. */
  max: number;
  /** Population standard deviation (what iputils calls mdev). */
  mdev: number;
}

/**
 * The end-of-run summary, field for field what iputils ping prints.
 * @example
 * // 3 packets transmitted, 2 received, +1 duplicates, 33.3333% packet loss, time 402ms
 * // rtt min/avg/max/mdev = 0.045/0.061/0.081/0.014 ms
 * { transmitted: 3, received: 2, duplicates: 1, errors: 0, loss: 33.333333333333336, time: 402, rtt: { min: 0.045, avg: 0.061, max: 0.081, mdev: 0.014 } }
 */
export interface PingSummary {
  /** Echo requests sent (iputils also counts one whose send failed locally). */
  transmitted: number;
  /** Requests that got at least one reply (duplicates not counted). */
  received: number;
  /** Replies beyond the first for a sequence number (iputils' "DUP!"). */
  duplicates: number;
  /** ICMP errors received about the requests. */
  errors: number;
  /** Replies that arrived after their request's timeout (counted in received, as iputils does). */
  late: number;
  /** Percentage of requests without a reply: (transmitted - received) × 100 / transmitted. */
  loss: number;
  /** Milliseconds from the first request to the end of the run. */
  time: number;
  /** Round-trip times; absent when nothing was received. */
  rtt?: RttStatistics;
}

/** Integer square root (floor), as iputils' llsqrt() by Newton's method. */
function isqrt(value: bigint): bigint {
  if (value <= 0n) return 0n;
  let x = value;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + value / x) / 2n;
  }
  return x;
}

/** Accumulates a run's counts and round trips. */
export class PingStatistics {
  transmitted = 0;
  received = 0;
  duplicates = 0;
  errors = 0;
  late = 0;
  #tsum = 0n;
  #tsum2 = 0n;
  #tmin = 0n;
  #tmax = 0n;
  #timed = 0;

  /** One reply (or duplicate) with its round trip in microseconds (negative clamps to 0, as iputils). */
  reply(rttMicroseconds: bigint, duplicate: boolean, late: boolean): void {
    const t = rttMicroseconds < 0n ? 0n : rttMicroseconds;
    this.#tsum += t;
    this.#tsum2 += t * t;
    if (this.#timed === 0 || t < this.#tmin) this.#tmin = t;
    if (t > this.#tmax) this.#tmax = t;
    this.#timed++;
    if (duplicate) this.duplicates++;
    else this.received++;
    if (late && !duplicate) this.late++;
  }

  /** The summary after `elapsedMs` of running. */
  summary(elapsedMs: number): PingSummary {
    const loss = this.transmitted > 0 ? ((this.transmitted - this.received) * 100) / this.transmitted : 0;
    const out: PingSummary = {
      transmitted: this.transmitted,
      received: this.received,
      duplicates: this.duplicates,
      errors: this.errors,
      late: this.late,
      loss,
      time: elapsedMs,
    };
    if (this.received > 0) {
      const total = BigInt(this.received + this.duplicates);
      const avg = this.#tsum / total;
      // finish(): the variance in integer arithmetic, with the same rounding as iputils.
      const variance =
        this.#tsum < 2_147_483_647n
          ? (this.#tsum2 - (this.#tsum * this.#tsum) / total) / total
          : this.#tsum2 / total - avg * avg;
      const ms = (us: bigint) => Number(us) / 1000;
      out.rtt = { min: ms(this.#tmin), avg: ms(avg), max: ms(this.#tmax), mdev: ms(isqrt(variance)) };
    }
    return out;
  }
}
