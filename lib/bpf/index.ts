// The classic BPF toolkit: build, assemble, check, run and compile the socket filters the Linux
// kernel runs (SO_ATTACH_FILTER on any socket, packet sockets above all).
//
// - opcodes: the kernel's BPF_* opcode fields and SKF_AD_* ancillary offsets;
// - instruction: struct sock_filter and helpers that make each instruction;
// - assembler: text in tcpdump -d / bpf_asm syntax to instructions, and back as tcpdump -d prints;
// - validate: the kernel's checks (bpf_check_classic), with the reason and index of a refusal;
// - vm: an interpreter with the kernel's run-time semantics;
// - tcpdump: reads tcpdump -dd / -ddd output;
// - builders: composable filters (host, net, port, vlan, …) for Ethernet, cooked and loopback framing;
// - compile: pcap-filter expressions compiled by the system's libpcap.

export { assemble, BpfAssemblyError, disassemble, disassembleInstruction } from './assembler.js';
export {
  all,
  and,
  arp,
  type Direction,
  ETHERTYPES,
  etherType,
  Filter,
  host,
  IP_PROTOCOLS,
  type IpProtocolName,
  type IpProtocolOptions,
  interfaceIndex,
  ipProtocol,
  ipv4,
  ipv6,
  type LinkFraming,
  net,
  none,
  not,
  or,
  outgoing,
  type PortOptions,
  type PortProtocol,
  type ProgramOptions,
  packetType,
  port,
  tcp,
  tcpPort,
  toProgram,
  udp,
  udplite,
  udplitePort,
  udpPort,
  vlan,
} from './builders.js';
export {
  type CompileOptions,
  compile,
  LIBPCAP_NAMES,
  LINK_TYPES,
  type LinkTypeName,
  PCAP_NETMASK_UNKNOWN,
} from './compile.js';
export {
  type AluOp,
  alu,
  fromBytes,
  INSTRUCTION_SIZE,
  type Instruction,
  instruction,
  type JumpOp,
  jump,
  jumpAlways,
  type LoadSize,
  loadAbsolute,
  loadAncillary,
  loadConstant,
  loadIndirect,
  loadIPv4HeaderLength,
  loadLength,
  loadMemory,
  loadXConstant,
  loadXLength,
  loadXMemory,
  negate,
  type Operand,
  type Program,
  returnA,
  returnConstant,
  store,
  storeX,
  tax,
  toBytes,
  txa,
} from './instruction.js';
export * as opcodes from './opcodes.js';
export { formatTcpdumpC, formatTcpdumpDecimal, parseTcpdump, TcpdumpParseError } from './tcpdump.js';
export {
  ALLOWED_CODES,
  BpfValidationError,
  type BpfViolation,
  isValid,
  type ValidationResult,
  validate,
} from './validate.js';
export { capturedLength, matches, type PacketContext, type RunOptions, run } from './vm.js';
