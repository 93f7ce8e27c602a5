// traceroute(): the hops to a host, from ICMP errors on the socket error queue.
export {
  formatTracerouteHop,
  type TracerouteHop,
  type TracerouteOptions,
  type TracerouteProbe,
  type TracerouteResult,
  traceroute,
} from './traceroute.js';
