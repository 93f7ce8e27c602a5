// UDP segmentation offloads, detected at run time:
// - UDP_SEGMENT (Linux 4.18, GSO): one send of up to 64 KiB leaves as datagrams of gso_size bytes
//   (the last one shorter), cut late by the stack or the network card.
// - UDP_GRO (Linux 5.0): the receive path may merge datagrams of one flow into one read and
//   reports their size in a UDP_GRO control message (an int: gso_size).
// A kernel without them answers setsockopt at level SOL_UDP with ENOPROTOOPT (udp_lib_setsockopt's
// default case). Older kernels ignore a UDP_SEGMENT control message on send (ip_cmsg_send skips
// levels other than SOL_IP), so support is checked before one is sent, never assumed.
import { constants as os } from 'node:os';
import { explain, hasCode, systemError } from '../errors.js';
import { constants, native } from '../native.js';

/** What the running kernel offers (see {@link udpOffloadSupport}). */
export interface UdpOffloadSupport {
  /** UDP_SEGMENT: send-side segmentation (GSO), Linux 4.18. */
  segmentation: boolean;
  /** UDP_GRO: receive-side coalescing, Linux 5.0. */
  receiveCoalescing: boolean;
}

export const GSO_MISSING = 'UDP_SEGMENT (UDP segmentation offload, GSO) needs Linux 4.18 or later';
export const GRO_MISSING = 'UDP_GRO (UDP receive offload) needs Linux 5.0 or later';
/** Why the kernel refuses a GSO send with EINVAL (net/ipv4/udp.c udp_send_skb). */
export const GSO_REFUSED =
  'a UDP_SEGMENT send is refused when a segment plus the IP and UDP headers exceeds the path MTU, when it makes more segments than the kernel allows (UDP_MAX_SEGMENTS: 128 on Linux 6.18, 64 on older kernels), or when UDP checksums are off';

let cached: UdpOffloadSupport | undefined;

function optionKnown(fd: number, option: number, value: number): boolean {
  try {
    native.setsockopt(fd, constants.SOL_UDP, option, value);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOPROTOOPT')) return false;
    throw error;
  }
}

/**
 * Whether this kernel has UDP_SEGMENT and UDP_GRO, found once by setting them on a scratch UDP
 * socket (opened and closed). Any error other than "no such option" is thrown.
 * @example if (udpOffloadSupport().segmentation) await socket.send(bigBuffer, { port, address, segmentSize: 1200 });
 */
export function udpOffloadSupport(): UdpOffloadSupport {
  if (cached) return cached;
  const handle = new native.SocketHandle(constants.AF_INET, constants.SOCK_DGRAM, constants.IPPROTO_UDP);
  try {
    cached = {
      segmentation: optionKnown(handle.fd, constants.UDP_SEGMENT, 0),
      receiveCoalescing: optionKnown(handle.fd, constants.UDP_GRO, 0),
    };
  } finally {
    handle.close();
  }
  return cached;
}

/** Throws ENOPROTOOPT naming what is missing when the kernel has no UDP_SEGMENT. */
export function requireSegmentation(): void {
  if (!udpOffloadSupport().segmentation) {
    throw systemError(os.errno.ENOPROTOOPT, 'setsockopt', GSO_MISSING);
  }
}

/** Adds what is missing to a setsockopt error at level SOL_UDP (ENOPROTOOPT). */
export function explainOffloadError(error: unknown, missing: string): unknown {
  return hasCode(error, 'ENOPROTOOPT') ? explain(error, missing) : error;
}
