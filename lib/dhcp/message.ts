// The DHCPv4 message (RFC 2131 §2, the BOOTP layout of RFC 951 with options after a magic
// cookie): encodeDhcpMessage() and decodeDhcpMessage(), typed both ways.
//
//   op 1 | htype 1 | hlen 1 | hops 1 | xid 4 | secs 2 | flags 2 | ciaddr 4 | yiaddr 4 | siaddr 4 |
//   giaddr 4 | chaddr 16 | sname 64 | file 128 | cookie 99.130.83.99 | options (to End, 255)

import { checkInteger, invalidArgType, invalidArgValue, outOfRange } from '../core/validate.js';
import { formatIPv4, formatMac, parseIPv4, parseMac } from '../decode/address.js';
import { DhcpParseError } from './errors.js';
import { collectOptions, type DhcpOptions, encodeOptions, typedOptions } from './options.js';

/** Bytes before the options: the BOOTP fields and the magic cookie. */
export const DHCP_HEADER_LENGTH = 240;
/**
 * RFC 1542 §3.2: relay agents may drop BOOTP messages shorter than 300 bytes, so clients pad to
 * that (udhcpc and dhclient do).
 */
export const DHCP_MINIMUM_LENGTH = 300;
/** The magic cookie (RFC 2131 §3): options follow. */
export const DHCP_MAGIC_COOKIE = 0x63825363;
/** The UDP port DHCP servers listen on. */
export const DHCP_SERVER_PORT = 67;
/** The UDP port DHCP clients receive on. */
export const DHCP_CLIENT_PORT = 68;

const SNAME_OFFSET = 44;
const FILE_OFFSET = 108;
/** Option 52 (RFC 2132 §9.3): the file (1), sname (2) or both (3) fields hold options too. */
const OPTION_OVERLOAD = 52;

/** A DHCP message with its BOOTP fields named. */
export interface DhcpMessage {
  /** 'request' (BOOTREQUEST, client to server) or 'reply' (BOOTREPLY). */
  op: 'request' | 'reply';
  /** Hardware type (htype, ARP's numbers): 1 Ethernet. */
  hardwareType: number;
  /** Transaction id (xid): the client picks it, the server's replies repeat it. */
  transactionId: number;
  /** Seconds since the client began (secs). */
  seconds: number;
  /** The BROADCAST flag: the client cannot receive unicast before it has its address. */
  broadcast: boolean;
  /** Client address (ciaddr): set only when the client already has one (renewing). */
  clientAddress: string;
  /** "Your" address (yiaddr): the address the server offers or assigns. */
  yourAddress: string;
  /** Next server (siaddr): for booting; not the DHCP server (that is option 54). */
  serverAddress: string;
  /** Relay agent (giaddr). */
  relayAddress: string;
  /** Client hardware address (chaddr, hlen bytes) as 'aa:bb:…'. */
  clientHardwareAddress: string;
  /** Server host name (sname), '' when empty or used for options. */
  serverName: string;
  /** Boot file name (file), '' when empty or used for options. */
  bootFile: string;
  /** The options, named where RFC 2132 names them. */
  options: DhcpOptions;
}

/** Input of {@link encodeDhcpMessage}: the fields a client sets, the rest default to 0 / ''. */
export interface DhcpMessageInput extends Partial<Omit<DhcpMessage, 'op' | 'clientHardwareAddress' | 'transactionId'>> {
  /** 'request' (client to server) or 'reply'. */
  op: 'request' | 'reply';
  /** The transaction id (xid), 0..0xffffffff. */
  transactionId: number;
  /** chaddr: a MAC as text, or up to 16 bytes. */
  clientHardwareAddress: string | Uint8Array;
  /** Pad the message to at least this many bytes (default DHCP_MINIMUM_LENGTH, 300). */
  minimumLength?: number;
}

/** A NUL-terminated fixed-size text field. */
function fixedText(b: Buffer, offset: number, size: number): string {
  const field = b.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? size : end).toString('latin1');
}

/**
 * Decodes a DHCP message (the UDP payload).
 * @throws DhcpParseError (code ERR_RAWSOCK_DHCP_PARSE, with `offset` and `reason`) when the bytes
 * are too short, lack the magic cookie, or have an option that runs past the end or has the
 * wrong length for its type.
 * @example const reply = decodeDhcpMessage(udp.payload); // reply.options.messageType === 'offer'
 */
export function decodeDhcpMessage(data: Uint8Array): DhcpMessage {
  if (!(data instanceof Uint8Array)) throw invalidArgType('data', 'a Uint8Array', data);
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < DHCP_HEADER_LENGTH) {
    throw new DhcpParseError(`${b.length} bytes, needs at least ${DHCP_HEADER_LENGTH}`, b.length, 'truncated');
  }
  const op = b[0];
  if (op !== 1 && op !== 2)
    throw new DhcpParseError(`op ${op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)`, 0, 'malformed');
  const hlen = b[2] as number;
  if (hlen > 16) throw new DhcpParseError(`hardware address length ${hlen} exceeds chaddr's 16 bytes`, 2, 'malformed');
  if (b.readUInt32BE(236) !== DHCP_MAGIC_COOKIE) {
    throw new DhcpParseError('no magic cookie 99.130.83.99 at offset 236 (a BOOTP message?)', 236, 'bad-cookie');
  }
  const raw = new Map<number, Uint8Array[]>();
  collectOptions(b.subarray(DHCP_HEADER_LENGTH), DHCP_HEADER_LENGTH, raw);
  // RFC 2132 §9.3: with option 52 the file and then the sname field carry more options.
  const overload = raw.get(OPTION_OVERLOAD);
  let overloadValue = 0;
  if (overload !== undefined) {
    const value = Buffer.concat(overload);
    if (value.length !== 1 || (value[0] as number) < 1 || (value[0] as number) > 3) {
      throw new DhcpParseError('option 52 (overload) must be one byte 1, 2 or 3', DHCP_HEADER_LENGTH, 'bad-option');
    }
    overloadValue = value[0] as number;
    raw.delete(OPTION_OVERLOAD);
    if (overloadValue & 1) collectOptions(b.subarray(FILE_OFFSET, FILE_OFFSET + 128), FILE_OFFSET, raw);
    if (overloadValue & 2) collectOptions(b.subarray(SNAME_OFFSET, SNAME_OFFSET + 64), SNAME_OFFSET, raw);
  }
  return {
    op: op === 1 ? 'request' : 'reply',
    hardwareType: b[1] as number,
    transactionId: b.readUInt32BE(4),
    seconds: b.readUInt16BE(8),
    broadcast: (b.readUInt16BE(10) & 0x8000) !== 0,
    clientAddress: formatIPv4(b, 12),
    yourAddress: formatIPv4(b, 16),
    serverAddress: formatIPv4(b, 20),
    relayAddress: formatIPv4(b, 24),
    clientHardwareAddress: formatMac(b, 28, hlen),
    serverName: overloadValue & 2 ? '' : fixedText(b, SNAME_OFFSET, 64),
    bootFile: overloadValue & 1 ? '' : fixedText(b, FILE_OFFSET, 128),
    options: typedOptions(raw, DHCP_HEADER_LENGTH),
  };
}

const checkUint = (name: string, value: unknown, max: number) => checkInteger(name, value, 0, max);

function putText(out: Buffer, name: string, value: unknown, offset: number, size: number): void {
  if (value === undefined) return;
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  const bytes = Buffer.from(value, 'latin1');
  if (bytes.length >= size) throw outOfRange(name, `shorter than ${size} bytes`, value);
  bytes.copy(out, offset);
}

/**
 * Encodes a DHCP message, padded to `minimumLength` (300) bytes.
 * @throws TypeError/RangeError (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE)
 * for a field or option the wire format cannot carry.
 * @example
 * encodeDhcpMessage({
 *   op: 'request',
 *   transactionId: 0x3903f326,
 *   clientHardwareAddress: '02:00:00:00:00:01',
 *   options: { messageType: 'discover', parameterRequestList: [1, 3, 6, 51] },
 * });
 */
export function encodeDhcpMessage(message: DhcpMessageInput): Buffer {
  if (message === null || typeof message !== 'object') throw invalidArgType('message', 'an object', message);
  if (message.op !== 'request' && message.op !== 'reply') {
    throw invalidArgValue('message.op', "must be 'request' or 'reply'", message.op);
  }
  const chaddr =
    typeof message.clientHardwareAddress === 'string'
      ? parseMac(message.clientHardwareAddress)
      : message.clientHardwareAddress;
  if (!(chaddr instanceof Uint8Array) || chaddr.length > 16) {
    throw invalidArgType('message.clientHardwareAddress', 'a MAC address or at most 16 bytes', chaddr);
  }
  const options = encodeOptions(message.options ?? {});
  const minimum = checkUint('message.minimumLength', message.minimumLength ?? DHCP_MINIMUM_LENGTH, 0xffff);
  const out = Buffer.alloc(Math.max(DHCP_HEADER_LENGTH + options.length, minimum));
  out[0] = message.op === 'request' ? 1 : 2;
  out[1] = checkUint('message.hardwareType', message.hardwareType ?? 1, 0xff);
  out[2] = chaddr.length;
  out[3] = 0; // hops: relays count them
  out.writeUInt32BE(checkUint('message.transactionId', message.transactionId, 0xffffffff), 4);
  out.writeUInt16BE(checkUint('message.seconds', message.seconds ?? 0, 0xffff), 8);
  out.writeUInt16BE(message.broadcast ? 0x8000 : 0, 10);
  const addresses = [
    ['clientAddress', 12],
    ['yourAddress', 16],
    ['serverAddress', 20],
    ['relayAddress', 24],
  ] as const;
  for (const [field, offset] of addresses) {
    const value = message[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw invalidArgType(`message.${field}`, 'of type string', value);
    parseIPv4(value).copy(out, offset);
  }
  out.set(chaddr, 28);
  putText(out, 'message.serverName', message.serverName, SNAME_OFFSET, 64);
  putText(out, 'message.bootFile', message.bootFile, FILE_OFFSET, 128);
  out.writeUInt32BE(DHCP_MAGIC_COOKIE, 236);
  options.copy(out, DHCP_HEADER_LENGTH); // the rest stays 0: Pad options after End
  return out;
}
