// Property tests (fast-check) of the rtnetlink parsers with real kernel answers mutated: the
// RTM_NEWLINK and RTM_NEWADDR payloads of this namespace's links (loopback, a veth pair, one end
// with IPv4 and IPv6 addresses, a label and lifetimes) as the kernel sent them, and random bytes.
// parseLink and parseAddress either return a result or throw DiagParseError; nothing else.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netlinkRequest } from '../lib/diag/dump.js';
import { DiagParseError, NLM_F_DUMP, NLM_F_REQUEST } from '../lib/diag/netlink.js';
import { addressDumpRequest, parseAddress } from '../lib/rtnetlink/address.js';
import { NETLINK_ROUTE, RTM_GETADDR, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK } from '../lib/rtnetlink/constants.js';
import { linkDumpRequest, parseLink } from '../lib/rtnetlink/link.js';
import { mutated, onlyDocumentedErrors } from './helpers/fuzz.js';
import { run } from './helpers/netns.js';
import { checked } from './helpers/peer-netns.js';

const runs = { numRuns: 3000 };
const a = `fz${process.pid % 100000}a`;
const b = `fz${process.pid % 100000}b`;
let links: Uint8Array[] = [];
let addresses: Uint8Array[] = [];

const dump = (type: number, answerType: number, body: Uint8Array) =>
  netlinkRequest(
    { protocol: NETLINK_ROUTE, name: 'NETLINK_ROUTE', answerType },
    { type, flags: NLM_F_REQUEST | NLM_F_DUMP, body },
  );

beforeAll(async () => {
  await checked('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
  await checked('ip', [
    'addr',
    'add',
    '198.18.7.1/24',
    'dev',
    a,
    'label',
    `${a}:lbl`,
    'valid_lft',
    '900',
    'preferred_lft',
    '600',
  ]);
  await checked('ip', ['-6', 'addr', 'add', 'fd7c::1/64', 'dev', a, 'nodad']);
  await checked('ip', ['link', 'set', a, 'up']);
  links = (await dump(RTM_GETLINK, RTM_NEWLINK, linkDumpRequest())).map((p) => Buffer.from(p));
  addresses = (await dump(RTM_GETADDR, RTM_NEWADDR, addressDumpRequest())).map((p) => Buffer.from(p));
});

afterAll(async () => {
  await run('ip', ['link', 'del', a]);
});

describe('rtnetlink parsers', () => {
  it('parse what the kernel sent', () => {
    expect(links.map((p) => parseLink(p).name)).toEqual(expect.arrayContaining(['lo', a, b]));
    expect(addresses.map((p) => parseAddress(p)?.address)).toEqual(expect.arrayContaining(['198.18.7.1', 'fd7c::1']));
  });

  it('parseLink fails only with DiagParseError on mutated and random links', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(links), fc.uint8Array({ maxLength: 200 })), (bytes) => {
        onlyDocumentedErrors(() => parseLink(bytes), [DiagParseError]);
      }),
      runs,
    );
  });

  it('parseAddress fails only with DiagParseError on mutated and random addresses', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(addresses), fc.uint8Array({ maxLength: 200 })), (bytes) => {
        onlyDocumentedErrors(() => parseAddress(bytes), [DiagParseError]);
      }),
      runs,
    );
  });
});
