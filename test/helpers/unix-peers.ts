// Peers for the Unix datagram tests: a scratch directory, and long-running child processes
// (socat, Python) whose output is read line by line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A fresh directory for socket files; remove() deletes it. */
export function scratchDir(): { dir: string; path: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rawsock-unix-'));
  return { dir, path: (name) => join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Peer {
  child: ChildProcess;
  /** Resolves with the next stdout line matching `pattern` (or any line), rejects on exit first. */
  line(pattern?: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code and everything written to stderr. */
  exited: Promise<{ code: number | null; stderr: string }>;
  kill(): void;
}

/** Starts a peer process; its stdout is read as lines. */
export function startPeer(command: string, args: string[], input?: string): Peer {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let waiter: (() => void) | null = null;
  let stderr = '';
  let ended = false;
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    waiter?.();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      ended = true;
      waiter?.();
      resolve({ code, stderr });
    });
  });
  if (input !== undefined) child.stdin?.end(input);
  const line = async (pattern?: RegExp, timeoutMs = 10_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = lines.findIndex((l) => !pattern || pattern.test(l));
      if (index >= 0) return lines.splice(0, index + 1)[index];
      if (ended) throw new Error(`${command} exited before printing ${pattern ?? 'a line'}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`${command} printed no ${pattern ?? 'line'} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        waiter = () => {
          clearTimeout(timer);
          waiter = null;
          resolve();
        };
      });
    }
  };
  return { child, line, exited, kill: () => child.kill('SIGKILL') };
}

/** A Python datagram receiver: binds argv[1], prints READY, then one JSON line per datagram. */
export const PY_RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
name = sys.argv[1]
s.bind('\\0' + name[1:] if name.startswith('@') else name)
print('READY', flush=True)
for _ in range(int(sys.argv[2])):
    data, sender = s.recvfrom(65536)
    if isinstance(sender, bytes): sender = '@' + sender[1:].decode() if sender[:1] == b'\\0' else sender.decode()
    print(json.dumps({'data': data.decode(), 'sender': sender or None}), flush=True)
`;

/**
 * A Python client: binds the abstract name argv[2], sends argv[3] to argv[1], prints its pid, then
 * prints the reply it receives.
 */
export const PY_CLIENT = `
import json, os, socket, sys
def addr(n): return '\\0' + n[1:] if n.startswith('@') else n
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(addr(sys.argv[2]))
s.settimeout(10)
print(json.dumps({'pid': os.getpid()}), flush=True)
s.sendto(sys.argv[3].encode(), addr(sys.argv[1]))
data, sender = s.recvfrom(65536)
print(json.dumps({'reply': data.decode()}), flush=True)
`;
