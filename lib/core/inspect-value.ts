// How an argument's value is shown in an error message. In Node this is node:util's inspect(),
// so messages read exactly like Node's own; the module is reached through
// process.getBuiltinModule() (Node >= 20.16) rather than an import, so the pure entry points
// (rawsock/bpf, rawsock/decode, rawsock/pcap) still bundle and run in a browser, where a plain
// rendering of primitives, arrays and objects takes its place.

type Inspect = (value: unknown, options?: { depth?: number; colors?: boolean }) => string;

const nodeInspect = ((): Inspect | undefined => {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => { inspect?: Inspect } | undefined } };
  return host.process?.getBuiltinModule?.('node:util')?.inspect;
})();

function quote(text: string): string {
  if (!text.includes("'")) return `'${text}'`;
  if (!text.includes('"')) return `"${text}"`;
  return `\`${text}\``;
}

function plain(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
    case 'object': {
      if (value === null) return 'null';
      if (depth < 0) return Array.isArray(value) ? '[Array]' : '[Object]';
      if (Array.isArray(value)) {
        return value.length === 0 ? '[]' : `[ ${value.map((item) => plain(item, depth - 1)).join(', ')} ]`;
      }
      const entries = Object.entries(value).map(([key, item]) => `${key}: ${plain(item, depth - 1)}`);
      return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
    }
    default:
      return String(value);
  }
}

/** `value` as Node's util.inspect() shows it (a close rendering where there is no node:util). */
export function inspectValue(value: unknown, options: { depth?: number } = {}): string {
  if (nodeInspect) return nodeInspect(value, { colors: false, ...options });
  return plain(value, options.depth ?? 2);
}
