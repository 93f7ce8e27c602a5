// The compiled addon's interface, and the addon itself for the socket classes (loaded by
// lib/core/addon.ts: a prebuild from prebuilds/ when one matches, else build/Release).
import { addon } from './core/addon.js';

/** The native SocketHandle: one owned non-blocking descriptor watched by libuv. */
export interface NativeSocketHandle {
  /** The descriptor, or -1 once closed. */
  readonly fd: number;
  close(): void;
  startReceiving(options?: ReceiveOptions): void;
  pause(): void;
  resume(): void;
  /** Bytes sent, or -1 when the kernel's buffer is full (EAGAIN). */
  send(data: Uint8Array, address?: Uint8Array | null, control?: Uint8Array | null): number;
  /**
   * sendmmsg(2) of datas[start..] (at most `limit`, and 1024, per call) with the address and control bytes of
   * the same index (null: none; a null array: none for any). How many the kernel took, 0 when its
   * buffer is full. Fewer than asked: full, or a later datagram failed (the next call, starting
   * there, throws its error).
   */
  sendBatch(
    datas: readonly Uint8Array[],
    addresses: readonly (Uint8Array | null)[] | null,
    controls: readonly (Uint8Array | null)[] | null,
    start: number,
    limit?: number,
  ): number;
  /**
   * sendBatch() of `count` datagrams that lie back to back in `data` (datagram i: lengths[i]
   * bytes), with addresses[start + i] and controls[start + i]: one call reads all their bytes.
   */
  sendStaged(
    data: Uint8Array,
    lengths: Uint32Array,
    count: number,
    addresses: readonly (Uint8Array | null)[] | null,
    controls: readonly (Uint8Array | null)[] | null,
    start: number,
  ): number;
  awaitWritable(): void;
  drain(): number;
  setRef(ref: boolean): void;
  /**
   * Each recvmmsg batch (startReceiving): datagrams, addresses and control data in `data`, the
   * metadata in the message layout (lib/core/batch-layout.ts MESSAGE). Returning false pauses.
   */
  onMessages?: (data: Buffer, meta: Uint32Array) => boolean | undefined;
  /**
   * Each packet-socket batch (attachRing, attachPacketReader): `byteLength` bytes of packets in
   * `data`, the metadata in the packet layout (PACKET). Returning false pauses.
   */
  onPackets?: (data: Buffer, meta: Uint32Array, byteLength: number) => boolean | undefined;
  /** Each batch of error-queue records (attachErrorQueue), in the message layout. Returning false pauses. */
  onErrorQueue?: (data: Buffer, meta: Uint32Array) => boolean | undefined;
  onWritable?: () => void;
  onError?: (error: NodeJS.ErrnoException) => void;
}

/** recvmmsg reader geometry (see src-native/socket_handle.cc). */
export interface ReceiveOptions {
  slots?: number;
  slotSize?: number;
  controlSize?: number;
  flags?: number;
  budget?: number;
  /** Rest this long after a wake-up that emptied the queue (0: never); see socket_handle.h. */
  coalesceMs?: number;
  /** Rest only after a wake-up that read more than one datagram (lib/core/coalesce.ts 'auto'). */
  coalesceBusyOnly?: boolean;
}

/**
 * Kernel constants by their C names (AF_PACKET, SOL_SOCKET, SO_RCVBUF, TCP_CONGESTION, …), as
 * compiled into the addon from the system headers.
 */
export interface NativeConstants {
  readonly [name: string]: number;
}

/** Packet-socket receive paths (src-native/packet_ring.cc); batches decoded by lib/packet/batch.ts. */
export interface NativePacket {
  /** PACKET_VERSION = TPACKET_V3 + PACKET_RX_RING + mmap, and the ring reader. Before bind(). */
  attachRing(
    handle: NativeSocketHandle,
    options: {
      blockSize: number;
      blockCount: number;
      frameSize: number;
      retireTimeoutMs: number;
      snapLength: number;
      batchBlocks: number;
      reuseBatchMemory?: boolean;
    },
  ): void;
  /** The recvmmsg reader with PACKET_AUXDATA and SO_TIMESTAMPNS, same batch layout as the ring. */
  attachPacketReader(
    handle: NativeSocketHandle,
    options: {
      slots: number;
      slotSize: number;
      snapLength: number;
      budget: number;
      coalesceMs?: number;
      coalesceBusyOnly?: boolean;
    },
  ): void;
  /** Flags packets of the blocks already filled (plus `extraBlocks`) as stale; returns the count. */
  markStale(handle: NativeSocketHandle, extraBlocks: number): number;
  info(handle: NativeSocketHandle): {
    kind: 'ring' | 'recvmmsg';
    malformedBlocks: number;
    /** Ring batches in recycled memory (src-native/batch_memory.h): freshly mapped, and reused. */
    freshBatches?: number;
    recycledBatches?: number;
  } | null;
  readonly pageSize: number;
}

/**
 * Field indices of the batch layouts (src-native/batch_layout.h): an entry's field F is
 * meta[i * stride + F]. Read through lib/core/batch-layout.ts.
 */
export interface NativeLayouts {
  readonly message: {
    readonly stride: number;
    readonly dataOffset: number;
    readonly captured: number;
    readonly length: number;
    readonly flags: number;
    readonly auxOffset: number;
    readonly addressLength: number;
    readonly controlLength: number;
  };
  readonly packet: {
    readonly stride: number;
    readonly dataOffset: number;
    readonly captured: number;
    readonly length: number;
    readonly seconds: number;
    readonly nanoseconds: number;
    readonly interfaceIndex: number;
    readonly typeAddressFlags: number;
    readonly protocolHatype: number;
    readonly vlan: number;
    readonly addressLow: number;
    readonly addressHigh: number;
    readonly networkStatus: number;
    readonly flagVlan: number;
    readonly flagStale: number;
  };
}

export interface Native {
  constants: NativeConstants;
  layouts: NativeLayouts;
  packet: NativePacket;
  SocketHandle: new (domain: number, type: number, protocol: number) => NativeSocketHandle;
  errnoError(errno: number, syscall: string): NodeJS.ErrnoException;
  /** EPOLLERR drains the error queue (MSG_ERRQUEUE) into onErrorQueue(data, meta); src-native/error_queue.cc. */
  attachErrorQueue(handle: NativeSocketHandle): void;
  /** CLOCK_REALTIME in nanoseconds, the clock of SO_TIMESTAMPNS (src-native/clock.cc). */
  realtimeNs(): bigint;
  bind(fd: number, address: Uint8Array): void;
  connect(fd: number, address: Uint8Array): boolean;
  getsockname(fd: number): Buffer;
  /**
   * SocketHandle.send() on a descriptor known to be open: bytes sent, or -1 when the kernel's
   * buffer is full (EAGAIN). Leave out the address and control arguments that are null.
   */
  sendmsg(fd: number, data: Uint8Array, address?: Uint8Array | null, control?: Uint8Array | null): number;
  getpeername(fd: number): Buffer;
  ifNameToIndex(name: string): number;
  ifIndexToName(index: number): string;
  setsockopt(fd: number, level: number, name: number, value: number | boolean | string | Uint8Array): void;
  /** SO_ATTACH_FILTER with packed struct sock_filter (8 bytes per instruction). */
  attachFilter(fd: number, program: Uint8Array): void;
  /** SO_GET_FILTER: the attached program as packed sock_filter, or null. */
  getFilter(fd: number): Buffer | null;
  getsockopt(fd: number, level: number, name: number, kind: 'int'): number;
  getsockopt(fd: number, level: number, name: number, kind: 'string', size?: number): string;
  getsockopt(fd: number, level: number, name: number, kind: 'bytes', size?: number): Buffer;
}

/** The addon, loaded as this module is: the socket classes cannot work without it. */
export const native: Native = addon();
/**
 * The kernel constants this build knows, from the C headers: the numbers getsockopt() and
 * setsockopt() take.
 * @example getsockopt(socket, constants.SOL_SOCKET, constants.SO_RCVBUF, 'int')
 */
export const constants: NativeConstants = native.constants;
