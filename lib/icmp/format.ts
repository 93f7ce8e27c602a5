// The lines iputils ping prints, from ping()'s events and summary (ping_common.c, ping.c): for
// programs that want ping's familiar output, and for comparing with iputils in the tests.
import type { PingEvent } from './ping.js';
import type { PingSummary } from './statistics.js';

/** A C printf %g of a float, as iputils prints the loss percentage: 6 significant digits, no trailing zeros. */
function printfG(value: number): string {
  return String(Number(Math.fround(value).toPrecision(6)));
}

/** "%ld.%03ld" of milliseconds held with microsecond precision. */
function millis(ms: number): string {
  const us = Math.round(ms * 1000);
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** iputils' time= field: three decimals below 1 ms … none from 100 ms (ping_common.c). */
function rttText(ms: number): string {
  if (ms >= 100) return String(Math.round(ms));
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/**
 * The line iputils ping prints for an event: "64 bytes from 192.0.2.1: icmp_seq=1 ttl=64 time=0.045 ms",
 * "… (DUP!)", "From 192.0.2.254 icmp_seq=2 Time to live exceeded", "ping: sendmsg: …"; undefined
 * for a timeout (iputils prints nothing for one).
 * @example for (const e of result.events) { const line = formatPingEvent(e); if (line) console.log(line); }
 */
export function formatPingEvent(event: PingEvent): string | undefined {
  switch (event.type) {
    case 'reply':
      return (
        `${event.size} bytes from ${event.address}: icmp_seq=${event.sequence}` +
        `${event.ttl === undefined ? '' : ` ttl=${event.ttl}`} time=${rttText(event.rtt)} ms` +
        `${event.duplicate ? ' (DUP!)' : ''}`
      );
    case 'error':
      return `From ${event.address ?? '?'} icmp_seq=${event.sequence} ${event.error.description}`;
    case 'send-error':
      return `ping: sendmsg: ${event.error.message}`;
    default:
      return undefined;
  }
}

/**
 * The summary iputils ping prints at the end, three lines (two when nothing was received):
 * "--- HOST ping statistics ---", "3 packets transmitted, 3 received, 0% packet loss, time 402ms",
 * "rtt min/avg/max/mdev = 0.045/0.061/0.081/0.014 ms".
 * @example console.log(formatPingSummary('localhost', result.summary));
 */
export function formatPingSummary(host: string, summary: PingSummary): string {
  let counts = `${summary.transmitted} packets transmitted, ${summary.received} received`;
  if (summary.duplicates) counts += `, +${summary.duplicates} duplicates`;
  if (summary.errors) counts += `, +${summary.errors} errors`;
  if (summary.transmitted) counts += `, ${printfG(summary.loss)}% packet loss, time ${summary.time}ms`;
  const lines = [`--- ${host} ping statistics ---`, counts];
  const r = summary.rtt;
  if (r) lines.push(`rtt min/avg/max/mdev = ${millis(r.min)}/${millis(r.avg)}/${millis(r.max)}/${millis(r.mdev)} ms`);
  return lines.join('\n');
}
