// Loads the compiled addon: a prebuild from prebuilds/ when one matches, else build/Release.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    options: { slots: number; slotSize: number; snapLength: number; budget: number },
  ): void;
  /** Flags packets of the blocks already filled (plus `extraBlocks`) as stale; returns the count. */
  markStale(handle: NativeSocketHandle, extraBlocks: number): number;
  info(handle: NativeSocketHandle): { kind: 'ring' | 'recvmmsg'; malformedBlocks: number } | null;
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

function load(): Native {
  if (process.platform !== 'linux') {
    throw new Error(
      `rawsock works on Linux only: packet sockets, UDP-Lite and the other features it offers are Linux kernel interfaces (this is ${process.platform})`,
    );
  }
  const require = createRequire(import.meta.url);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  // RAWSOCK_ADDON names a specific build to load instead (scripts/test-sanitize.sh points it at
  // an AddressSanitizer build kept outside build/Release, so it never replaces the normal one).
  const override = process.env.RAWSOCK_ADDON;
  if (override) return require(path.resolve(override)) as Native;
  const loadBinding = require('node-gyp-build') as (dir: string) => Native;
  return loadBinding(root);
}

export const native: Native = load();
/**
 * The kernel constants this build knows, from the C headers: the numbers getsockopt() and
 * setsockopt() take.
 * @example getsockopt(socket, constants.SOL_SOCKET, constants.SO_RCVBUF, 'int')
 */
export const constants: NativeConstants = native.constants;
