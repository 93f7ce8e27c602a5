// Metrics in the statsd line format ("name:value|type|@rate|#tag:value", with DogStatsD tags) to a
// local agent's Unix datagram socket, as hot-shots does with npm unix-dgram (the Datadog agent
// listens on /var/run/datadog/dsd.socket, Telegraf's statsd input can too).
//
//   npm run example:statsd-unix -- PATH [--requests N]
//
// Each metric is one send(), not awaited: the send() calls made in one turn of JS leave together
// in one sendmmsg(2), so a burst of metrics costs one system call, and gauges() hands a whole
// report to sendBatch(). A full agent makes sends wait (Unix datagrams are flow-controlled, none
// is dropped); close() waits for the last one, since sends complete in call order.
import { parseArgs } from 'node:util';
import { UnixDatagramSocket } from '../lib/unix/index.js';

export interface MetricOptions {
  /** Sample rate in (0, 1]: the agent scales counts by 1/rate. The caller does the sampling. */
  sampleRate?: number;
  /** DogStatsD tags, added to the client's own. */
  tags?: Record<string, string>;
}

// statsd separates fields with ':' '|' '@' '#' and tags with ',': names and tags must not hold them.
const FORBIDDEN = /[:|@#,\n]/;

export class StatsdUnixClient {
  readonly #socket: UnixDatagramSocket;
  readonly #prefix: string;
  readonly #tags: string;
  #last: Promise<unknown> = Promise.resolve();
  /** Sends that failed (the agent went away, …); metrics never throw at the caller. */
  errors = 0;

  constructor(path: string, options: { prefix?: string; tags?: Record<string, string> } = {}) {
    // connect() checks the path once: nothing there, a stale file, a stream socket all throw here.
    this.#socket = UnixDatagramSocket.create({ autobind: false }).connect(path);
    this.#prefix = options.prefix ?? '';
    this.#tags = formatTags(options.tags);
  }

  increment(name: string, value = 1, options?: MetricOptions): void {
    this.#send(name, value, 'c', options);
  }

  gauge(name: string, value: number, options?: MetricOptions): void {
    this.#send(name, value, 'g', options);
  }

  timing(name: string, milliseconds: number, options?: MetricOptions): void {
    this.#send(name, milliseconds, 'ms', options);
  }

  /** Several gauges in one sendmmsg(2), e.g. a periodic report. */
  gauges(values: Record<string, number>, options?: MetricOptions): Promise<number> {
    const lines = Object.entries(values).map(([name, value]) => ({ data: this.#line(name, value, 'g', options) }));
    const sent = this.#socket.sendBatch(lines);
    this.#last = sent.catch(() => {
      this.errors++;
    });
    return sent;
  }

  /** Waits until every metric so far was taken by the agent's socket, then closes. */
  async close(): Promise<void> {
    await this.#last;
    this.#socket.close();
  }

  #send(name: string, value: number, type: string, options: MetricOptions | undefined): void {
    this.#last = this.#socket.send(this.#line(name, value, type, options)).catch(() => {
      this.errors++;
    });
  }

  #line(name: string, value: number, type: string, options: MetricOptions | undefined): string {
    if (FORBIDDEN.test(name) || name === '') throw new TypeError(`bad statsd metric name: ${JSON.stringify(name)}`);
    if (!Number.isFinite(value)) throw new TypeError(`bad statsd value for ${name}: ${value}`);
    let line = `${this.#prefix}${name}:${value}|${type}`;
    const rate = options?.sampleRate;
    if (rate !== undefined) {
      if (!(rate > 0 && rate <= 1)) throw new RangeError(`sampleRate must be in (0, 1], got ${rate}`);
      if (rate < 1) line += `|@${rate}`;
    }
    const tags = [this.#tags, formatTags(options?.tags)].filter(Boolean).join(',');
    return tags ? `${line}|#${tags}` : line;
  }
}

function formatTags(tags: Record<string, string> | undefined): string {
  if (!tags) return '';
  return Object.entries(tags)
    .map(([key, value]) => {
      if (FORBIDDEN.test(key) || FORBIDDEN.test(value)) throw new TypeError(`bad statsd tag ${key}:${value}`);
      return `${key}:${value}`;
    })
    .join(',');
}

// The demo: what a small web service reports for N requests, then one gauge report.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: 'string', default: '10' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  const requests = Number(values.requests);
  if (values.help || positionals.length !== 1 || !Number.isInteger(requests) || requests < 0) {
    console.error('usage: statsd-unix PATH [--requests N]');
    process.exit(values.help ? 0 : 2);
  }
  const path = positionals[0] as string;
  try {
    const client = new StatsdUnixClient(path, { prefix: 'shop.', tags: { service: 'web' } });
    for (let i = 0; i < requests; i++) {
      client.increment('requests', 1, { tags: { route: i % 2 ? '/cart' : '/' } });
      client.timing('latency', 10 + i, { sampleRate: 0.5 });
    }
    await client.gauges({ 'queue.depth': 0, workers: 4 });
    await client.close();
    console.error(`statsd-unix: ${2 * requests + 2} metrics sent to ${path}, ${client.errors} failed`);
  } catch (error) {
    console.error(`statsd-unix: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
