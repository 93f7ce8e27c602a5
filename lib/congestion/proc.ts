// The congestion-control sysctls under /proc/sys/net/ipv4. They belong to the network namespace
// of the process that reads them (tcp(7)).
import { readFileSync, writeFileSync } from 'node:fs';
import { explain } from '../errors.js';

const SYSCTL_DIR = '/proc/sys/net/ipv4';

export function readSysctl(name: string): string {
  return readFileSync(`${SYSCTL_DIR}/${name}`, 'utf8').trim();
}

export function readSysctlList(name: string): string[] {
  return readSysctl(name).split(/\s+/).filter(Boolean);
}

export function writeSysctl(name: string, value: string): void {
  try {
    writeFileSync(`${SYSCTL_DIR}/${name}`, `${value}\n`);
  } catch (error) {
    throw explain(
      error,
      `writing ${SYSCTL_DIR}/${name} needs CAP_NET_ADMIN in this network namespace's user namespace`,
    );
  }
}
