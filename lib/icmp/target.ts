// What ping() and traceroute() share before sending anything: the common options' checks, and
// the address a host name stands for.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkFunction, checkOneOf, invalidArgType, invalidArgValue } from '../core/validate.js';

/** Checks `family`, `signal` and the callback `callbackName` of an options object. */
export function checkCommonOptions(o: Record<string, unknown>, callbackName: string): void {
  if (o.family !== undefined) checkOneOf('options.family', o.family, [4, 6]);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', o.signal);
  }
  if (o[callbackName] !== undefined) checkFunction(`options.${callbackName}`, o[callbackName]);
}

/** The address to send to: `host` itself when it is one (a family given must match), else the resolver's answer. */
export async function resolveTarget(
  host: string,
  family: 4 | 6 | undefined,
): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(host.split('%')[0] as string);
  if (literal !== 0) {
    if (family !== undefined && family !== literal) {
      throw invalidArgValue('options.family', `does not match the address ${host}`, family);
    }
    return { address: host, family: literal as 4 | 6 };
  }
  const answer = await lookup(host, family === undefined ? {} : { family });
  return { address: answer.address, family: answer.family as 4 | 6 };
}
