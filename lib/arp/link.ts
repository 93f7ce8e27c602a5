// One interface's ARP traffic: a raw packet socket bound to ETH_P_ARP that sends ARP messages in
// Ethernet frames and waits for the first received message a predicate accepts.
import { firstEvent } from '../core/abort.js';
import { buildEthernetFrame } from '../decode/build.js';
import { ETHERTYPE_ARP } from '../decode/ethernet.js';
import { invalidArgType } from '../errors.js';
import { type Packet, PacketSocket } from '../packet/index.js';
import { type ArpMessage, decodeArp, encodeArp } from './packet.js';

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';

/** @internal Checks an AbortSignal option. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw invalidArgType('signal', 'an AbortSignal', signal);
  return signal as AbortSignal | undefined;
}

/** A received ARP message with the frame's source MAC and when it arrived. */
export interface ReceivedArp {
  message: ArpMessage;
  /** The Ethernet source address (may differ from senderMac behind a proxy). */
  frameSource: string;
  /** performance.now() at receipt. */
  at: number;
}

/** @internal The ARP side of one interface. */
export class ArpLink {
  readonly socket: PacketSocket;
  readonly mac: string;
  readonly interfaceName: string;

  constructor(interfaceName: string | number) {
    // Raw mode: the Ethernet header tells who sent the frame. Outgoing copies are not wanted:
    // our own requests would look like other hosts' traffic to a probe.
    this.socket = PacketSocket.create({
      interface: interfaceName,
      protocol: 'arp',
      ignoreOutgoing: true,
      ring: false,
    });
    this.mac = this.socket.hardwareAddress;
    this.interfaceName = this.socket.interfaceName as string;
  }

  /** Sends `message` in a frame to `destination` (default broadcast). */
  send(message: ArpMessage, destination = BROADCAST_MAC): Promise<number> {
    const frame = buildEthernetFrame({
      destination,
      source: this.mac,
      etherType: ETHERTYPE_ARP,
      payload: encodeArp(message),
    });
    return this.socket.send(frame);
  }

  /** The first ARP message `accept` takes within `ms`, or null; rejects on abort or socket error. */
  wait(
    accept: (arp: ReceivedArp) => boolean,
    ms: number,
    signal: AbortSignal | undefined,
  ): Promise<ReceivedArp | null> {
    const pick = (packet: Packet): ReceivedArp | null => {
      const at = performance.now();
      const data = packet.data;
      if (data.length < 14) return null;
      const message = decodeArp(data.subarray(14));
      if (message === null) return null;
      const received = { message, frameSource: packet.sourceAddress, at };
      return accept(received) ? received : null;
    };
    return firstEvent(this.socket, 'packet', pick, ms, signal);
  }

  close(): void {
    this.socket.close();
  }
}
