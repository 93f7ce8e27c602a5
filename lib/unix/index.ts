// Unix datagram sockets (unix(7)): the AF_UNIX SOCK_DGRAM that node:dgram lacks, and sd_notify.
export type { UnixCredentials } from './credentials.js';
export { UnixDatagramMessage } from './message.js';
export { formatNotifyState, type NotifyOptions, type NotifyState, notify } from './notify.js';
export {
  type UnixBindOptions,
  type UnixDatagram,
  UnixDatagramSocket,
  type UnixDatagramSocketOptions,
} from './socket.js';
