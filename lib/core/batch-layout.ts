// The one place TypeScript learns where each field of a native batch is: the addon exports the
// layouts of src-native/batch_layout.h (native.layouts), and every reader of a batch (the
// datagram sockets, the error queue, netlink dumps, packet batches) goes through this module.
// Nothing else in lib/ knows a field's index, so C++ and TypeScript cannot drift apart.
import { native } from '../native.js';

/**
 * A recvmmsg batch (onMessages) or error-queue batch (onErrorQueue): entry i's field F is
 * meta[i * MESSAGE.stride + MESSAGE.F]. Offsets are into the batch's `data`; the sender address
 * starts at auxOffset and the control messages follow it.
 */
export const MESSAGE = Object.freeze({ ...native.layouts.message });

/** A packet-socket batch (onPackets): packet i's field F is meta[i * PACKET.stride + PACKET.F]. */
export const PACKET = Object.freeze({ ...native.layouts.packet });

/** One entry of a message-layout batch, by name. */
export interface MessageEntry {
  /** Where its bytes start in `data`. */
  dataOffset: number;
  /** Bytes kept. */
  captured: number;
  /** Its real length (recvmmsg with MSG_TRUNC): more than `captured` when cut. */
  length: number;
  /** msg_flags. */
  flags: number;
  /** Where its address starts in `data`; its control data follows the address. */
  auxOffset: number;
  /** Bytes of address. */
  addressLength: number;
  /** Bytes of control messages. */
  controlLength: number;
}

/** Entries in a message-layout batch. */
export function messageCount(meta: Uint32Array): number {
  return meta.length / MESSAGE.stride;
}

/** Entry `index` of a message-layout batch. */
export function messageEntry(meta: Uint32Array, index: number): MessageEntry {
  const m = index * MESSAGE.stride;
  return {
    dataOffset: meta[m + MESSAGE.dataOffset] as number,
    captured: meta[m + MESSAGE.captured] as number,
    length: meta[m + MESSAGE.length] as number,
    flags: meta[m + MESSAGE.flags] as number,
    auxOffset: meta[m + MESSAGE.auxOffset] as number,
    addressLength: meta[m + MESSAGE.addressLength] as number,
    controlLength: meta[m + MESSAGE.controlLength] as number,
  };
}
