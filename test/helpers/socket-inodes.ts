// This process's open sockets, as "socket:[inode]" strings from /proc/self/fd: what a test that
// checks for leaked descriptors compares before and after.
import { readdirSync, readlinkSync } from 'node:fs';

export function socketInodes(): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith('socket:')) out.add(target);
    } catch {
      // closed meanwhile (readdir's own descriptor among them)
    }
  }
  return out;
}
