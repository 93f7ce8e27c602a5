// PACKET_STATISTICS (packet(7)): the kernel's counters reset on every read, so the socket keeps
// running totals. tp_packets already includes tp_drops, and only packets that passed the filter
// count. With TPACKET_V3 the answer is struct tpacket_stats_v3 (12 bytes: + tp_freeze_q_cnt),
// otherwise struct tpacket_stats (8 bytes): the returned length says which.
import { endianness } from 'node:os';
import { constants, native } from '../native.js';

const littleEndian = endianness() === 'LE';

/** Counters over the socket's whole life. */
export interface PacketSocketStats {
  /** Packets that passed the filter (kernel: tp_packets, which includes the dropped ones). */
  received: number;
  /** Packets the kernel dropped because the ring or receive buffer was full (tp_drops). */
  dropped: number;
  /** Times the ring was full and the kernel froze it (tp_freeze_q_cnt; TPACKET_V3 only). */
  ringFull: number;
  /** Packets handed to JS (events, loops or batches); each counts once, however many consumers got it. */
  delivered: number;
  /**
   * Packets read but handed to nobody: queued under a replaced filter and drained, or re-checked
   * against the new one and failed (also when a callback replaced the filter in the middle of a
   * batch), or left in a batch when a callback closed the socket.
   */
  discarded: number;
}

export class StatsCounter {
  received = 0;
  dropped = 0;
  ringFull = 0;
  delivered = 0;
  discarded = 0;

  /** Adds what the kernel counted since the last read. */
  collect(fd: number): void {
    if (fd < 0) return;
    const bytes = native.getsockopt(fd, constants.SOL_PACKET, constants.PACKET_STATISTICS, 'bytes', 12);
    if (bytes.length < 8) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.received += view.getUint32(0, littleEndian);
    this.dropped += view.getUint32(4, littleEndian);
    if (bytes.length >= 12) this.ringFull += view.getUint32(8, littleEndian);
  }

  snapshot(): PacketSocketStats {
    return {
      received: this.received,
      dropped: this.dropped,
      ringFull: this.ringFull,
      delivered: this.delivered,
      discarded: this.discarded,
    };
  }
}
