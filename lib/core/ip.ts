// IP address text <-> bytes lives in lib/decode/address.ts; this name is kept for the sockets.
export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../decode/address.js';
