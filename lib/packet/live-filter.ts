// A packet socket's filter while the socket runs: replacing it without a window in which packets
// the new program rejects get through (REFERENCE: drop-all, empty what was queued, attach the new
// one), and the user-space re-check (lib/bpf vm) of what the ring captured under the old program.
// lib/packet/socket.ts asks this module for verdicts; it knows nothing of listeners or loops.
import { validate } from '../bpf/validate.js';
import { run as runFilter } from '../bpf/vm.js';
import { type NativeSocketHandle, native } from '../native.js';
import type { PacketBatch } from './batch.js';
import { attachProgram, DROP_ALL, type FilterProgram, installProgram } from './filter.js';

/** Ancillary loads the user-space re-check can answer from the packet's metadata. */
const RECHECKABLE_ANCILLARY = new Set([0, 4, 8, 28, 40, 44, 48, 60]);

/** The filter state of one packet socket. */
export class LiveFilter {
  readonly #linkOffsetZero: boolean;
  #program: FilterProgram | null = null;
  #recheckable = true;
  #generation = 0;
  #staleExpected = false;

  /** `mode` decides where offset 0 is for the re-check ('raw': the link header). */
  constructor(mode: 'raw' | 'cooked') {
    this.#linkOffsetZero = mode === 'raw';
  }

  /** The program in force (as given), or null. */
  get program(): FilterProgram | null {
    return this.#program;
  }

  /** Changes whenever the program does: a consumer that saw another generation re-checks. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether the ring may still hand over packets captured under a replaced program. */
  get staleExpected(): boolean {
    return this.#staleExpected;
  }

  /** Records `program` as the one the kernel holds (after attaching it). */
  set(program: FilterProgram | null): void {
    this.#program = program;
    this.#recheckable = program === null || validate(program).ancillary.every((a) => RECHECKABLE_ANCILLARY.has(a));
  }

  /**
   * Replaces the kernel's program with `next` race-free. With the ring, the blocks already
   * filled are marked stale (re-checked on delivery); with recvmmsg, what was queued is read and
   * discarded, and counted with `discarded` (also when the replacement then fails). When the
   * kernel refuses `next` the previous program is attached again and the kernel's error thrown.
   */
  replace(handle: NativeSocketHandle, ring: boolean, next: FilterProgram | null, discarded: (n: number) => void): void {
    const fd = handle.fd;
    const previous = this.#program;
    attachProgram(fd, DROP_ALL);
    if (ring) {
      // Blocks the kernel has handed over, the one it is filling, and one more for a packet that
      // passed the old program on another CPU while drop-all was being attached.
      native.packet.markStale(handle, 2);
      this.#staleExpected = true;
    } else {
      discarded(handle.drain());
    }
    try {
      installProgram(fd, next);
    } catch (error) {
      // The kernel refused the new program (e.g. ENOMEM: net.core.optmem_max): put the previous
      // one back, so the socket neither goes silent under drop-all nor claims a filter it lacks.
      // What was marked stale is re-checked against the previous program, which it passed.
      this.#restore(fd, previous, error);
      throw error;
    }
    this.set(next);
    this.#generation++;
  }

  #restore(fd: number, previous: FilterProgram | null, cause: unknown): void {
    try {
      installProgram(fd, previous);
    } catch (error) {
      // Drop-all stays attached (never deliver what no program passed): say so.
      this.set(DROP_ALL);
      this.#generation++;
      throw Object.assign(
        new Error('setFilter failed and the previous filter could not be restored: the socket now drops every packet', {
          cause: error,
        }),
        { code: 'ERR_RAWSOCK_FILTER_LOST', filterError: cause },
      );
    }
  }

  /**
   * The batch without the stale packets the current program rejects (the ring filled them under
   * a replaced one); the others are trimmed to what the program keeps. Returns the batch and how
   * many packets went.
   */
  recheck(batch: PacketBatch): { batch: PacketBatch; discarded: number } {
    const keep: number[] = [];
    let stale = false;
    for (let i = 0; i < batch.length; i++) {
      stale = batch.stale(i);
      if (!stale) {
        keep.push(i);
        continue;
      }
      // Nobody has seen this batch yet: trimming it in place is safe.
      const verdict = this.verdict(batch, i);
      if (verdict > 0) {
        batch.trim(i, verdict);
        keep.push(i);
      }
    }
    // Blocks are handed over in order: once a batch ends with a fresh packet, the stale ones are past.
    if (!stale) this.#staleExpected = false;
    if (keep.length === batch.length) return { batch, discarded: 0 };
    return { batch: batch.select(keep), discarded: batch.length - keep.length };
  }

  /**
   * The packets of `batch` from index `from` on that the current program passes, as a new batch
   * (the old one may be held by a consumer that got it before the program changed).
   */
  refilter(batch: PacketBatch, from: number): PacketBatch {
    const keep: number[] = [];
    const lengths: number[] = [];
    for (let i = from; i < batch.length; i++) {
      const verdict = this.verdict(batch, i);
      if (verdict > 0) {
        keep.push(i);
        lengths.push(verdict);
      }
    }
    const kept = batch.select(keep);
    for (let j = 0; j < lengths.length; j++) kept.trim(j, lengths[j] as number);
    return kept;
  }

  /**
   * Runs the current program over packet i in user space (lib/bpf vm) with the metadata the
   * kernel reported and returns its verdict: the bytes to keep, 0 to drop. When the program
   * needs facts the metadata lacks (mark, CPU, hash, random), or bytes past the captured ones
   * (a snap length cut them), the verdict is 0: a packet is never delivered unless it is known
   * to pass.
   */
  verdict(batch: PacketBatch, i: number): number {
    const program = this.#program;
    if (program === null) return batch.capturedLength(i);
    if (!this.#recheckable) return 0;
    try {
      const vlan = batch.vlan(i);
      return runFilter(program, batch.data(i), {
        validate: false,
        // `len` is the packet's length when the kernel ran the filter, not what was captured.
        length: batch.originalLength(i),
        protocol: batch.protocol(i),
        pktType: batch.packetTypeCode(i),
        ifIndex: batch.interfaceIndex(i),
        hatype: batch.hardwareType(i),
        ...(vlan
          ? { vlanTag: (vlan.priority << 13) | (vlan.dropEligible ? 0x1000 : 0) | vlan.id, vlanTpid: vlan.tpid }
          : {}),
        vlanTagPresent: vlan !== undefined,
        networkOffset: batch.networkOffset(i),
        ...(this.#linkOffsetZero ? { linkOffset: 0 } : {}),
      });
    } catch {
      return 0;
    }
  }
}
