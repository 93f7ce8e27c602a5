// Whether this kernel has UDP-Lite. It is removed from Linux 7.1 (6.18 and earlier have it and log
// a deprecation notice), so it is detected at run time: socket(AF_INET, SOCK_DGRAM, 136) then
// fails with EPROTONOSUPPORT, as it does for any protocol the kernel does not know (inet_create).
import { explain, hasCode } from '../errors.js';
import { constants, native } from '../native.js';

/** Appended to the kernel's error when socket() says the protocol is unknown. */
export const UDPLITE_UNAVAILABLE = 'UDP-Lite is not available in this kernel (it was removed in Linux 7.1)';

/** True for the errors socket() gives when the kernel has no UDP-Lite. */
function isMissingProtocol(error: unknown): boolean {
  return hasCode(error, 'EPROTONOSUPPORT') || hasCode(error, 'ESOCKTNOSUPPORT');
}

/**
 * Adds "UDP-Lite is not available in this kernel" to a socket() error that means exactly that,
 * keeping `code` (EPROTONOSUPPORT), `errno` and `syscall`; other errors pass unchanged.
 */
export function explainSocketError(error: unknown): unknown {
  return isMissingProtocol(error) ? explain(error, UDPLITE_UNAVAILABLE) : error;
}

/**
 * Whether the running kernel offers UDP-Lite sockets, found by opening (and closing) one.
 *
 * False when socket() answers EPROTONOSUPPORT (a kernel without UDP-Lite, such as Linux 7.1 and
 * later). Any other failure (EMFILE, EAFNOSUPPORT for a disabled IPv6, a security policy's EACCES)
 * does not answer the question and is thrown.
 * @param family 4 (default) or 6
 * @example const transport = udpLiteSupported(6) ? 'udplite' : 'udp';
 */
export function udpLiteSupported(family: 4 | 6 = 4): boolean {
  const domain = family === 6 ? constants.AF_INET6 : constants.AF_INET;
  try {
    new native.SocketHandle(domain, constants.SOCK_DGRAM, constants.IPPROTO_UDPLITE).close();
    return true;
  } catch (error) {
    if (isMissingProtocol(error)) return false;
    throw error;
  }
}
