// Which processes hold which sockets. Neither netlink nor /proc/net says: the only source is each
// process's descriptor table, /proc/PID/fd, where a socket's link reads `socket:[INODE]`.
// proc(5): reading another process's fd directory needs the same uid (and a dumpable process) or
// CAP_SYS_PTRACE; what cannot be read is counted, so callers can say the answer is partial.
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/** A process holding a socket through one of its descriptors. */
export interface SocketOwner {
  /** Process id. */
  pid: number;
  /** The command name (/proc/PID/comm, at most 15 bytes). */
  command: string;
  /** The descriptor number in that process (/proc/PID/fd/N). */
  fd: number;
}

/** The result of one walk over /proc. */
export interface OwnerScan {
  /** Socket inode (decimal string) → its holders, ordered by pid then fd. */
  byInode: Map<string, SocketOwner[]>;
  /** Processes whose descriptors could not be read (EACCES / EPERM): holders may be missing. */
  unreadable: number[];
}

/** The inode in a descriptor link `socket:[12345]`, or undefined for anything else. */
export function parseSocketLink(link: string): string | undefined {
  const match = /^socket:\[(\d+)\]$/.exec(link);
  if (!match) return undefined;
  return BigInt(match[1]).toString();
}

/** A process's command name from the contents of /proc/PID/comm (the kernel ends it with '\n'). */
export function parseComm(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

const DENIED = new Set(['EACCES', 'EPERM']);

async function scanProcess(root: string, pid: number, scan: OwnerScan, wanted?: ReadonlySet<string>): Promise<void> {
  const fdDir = path.join(root, String(pid), 'fd');
  let entries: string[];
  try {
    entries = await readdir(fdDir);
  } catch (error) {
    // ENOENT / ESRCH: the process exited while we walked; it holds nothing any more.
    if (DENIED.has(code(error) ?? '')) scan.unreadable.push(pid);
    return;
  }
  const found: { inode: string; fd: number }[] = [];
  let denied = false;
  await Promise.all(
    entries.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      try {
        const inode = parseSocketLink(await readlink(path.join(fdDir, name)));
        if (inode !== undefined && (wanted === undefined || wanted.has(inode))) found.push({ inode, fd: Number(name) });
      } catch (error) {
        if (DENIED.has(code(error) ?? '')) denied = true; // else: the descriptor was closed meanwhile
      }
    }),
  );
  if (denied) scan.unreadable.push(pid);
  if (found.length === 0) return;
  let command = '';
  try {
    command = parseComm(await readFile(path.join(root, String(pid), 'comm'), 'utf8'));
  } catch {
    // The process exited after we read its descriptors: keep it, without a name.
  }
  for (const { inode, fd } of found) {
    const owners = scan.byInode.get(inode);
    const owner = { pid, command, fd };
    if (owners) owners.push(owner);
    else scan.byInode.set(inode, [owner]);
  }
}

/**
 * Walks /proc/PID/fd of every process (a bounded number at a time) and maps socket inodes to
 * their holders. `wanted`, when given, limits the result to those inodes.
 */
export async function scanOwners(
  options: { procRoot?: string; wanted?: ReadonlySet<string> } = {},
): Promise<OwnerScan> {
  const root = options.procRoot ?? '/proc';
  const scan: OwnerScan = { byInode: new Map(), unreadable: [] };
  const pids = (await readdir(root)).filter((name) => /^\d+$/.test(name)).map(Number);
  const concurrency = 16;
  let next = 0;
  const worker = async () => {
    while (next < pids.length) {
      const pid = pids[next++];
      await scanProcess(root, pid, scan, options.wanted);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pids.length) }, worker));
  for (const owners of scan.byInode.values()) owners.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  scan.unreadable.sort((a, b) => a - b);
  return scan;
}
