// UDP-Lite checksum coverage (RFC 3828 §3.1, udplite(7)): how many leading bytes of a datagram,
// counted from the start of the 8-byte UDP-Lite header, its checksum protects.
import { checkInteger } from '../core/validate.js';
import { constants, native } from '../native.js';

/** Socket option level of UDP-Lite: its protocol number (udplite(7): SOL_UDPLITE = 136). */
export const SOL_UDPLITE = constants.IPPROTO_UDPLITE;
/** linux/udp.h: sender checksum coverage. */
export const UDPLITE_SEND_CSCOV = 10;
/** linux/udp.h: minimum coverage the receiver accepts. */
export const UDPLITE_RECV_CSCOV = 11;

/** The UDP-Lite header is 8 bytes; a coverage below it is illegal (RFC 3828 §3.1). */
export const UDPLITE_HEADER_SIZE = 8;
/** The coverage field is 16 bits wide. */
export const MAX_COVERAGE = 65535;

/**
 * Checks a coverage value before any system call: an integer from 0 to 65535. The kernel itself
 * would silently clamp out-of-range values (udplite(7)), which hides mistakes, so they are refused.
 */
export function checkCoverage(name: string, value: unknown): number {
  return checkInteger(name, value, 0, MAX_COVERAGE);
}

/** getsockopt(fd, SOL_UDPLITE, option): the value the kernel stores, never a cached copy. */
export function readCoverage(fd: number, option: typeof UDPLITE_SEND_CSCOV | typeof UDPLITE_RECV_CSCOV): number {
  return native.getsockopt(fd, SOL_UDPLITE, option, 'int');
}

/** setsockopt(fd, SOL_UDPLITE, option, value) after checkCoverage. */
export function writeCoverage(
  fd: number,
  option: typeof UDPLITE_SEND_CSCOV | typeof UDPLITE_RECV_CSCOV,
  value: number,
): void {
  native.setsockopt(fd, SOL_UDPLITE, option, value);
}
