// What the kernel's answers mean for a Unix datagram socket, in words a user can act on. The
// error keeps Node's shape (code, errno, syscall); the message gains the explanation and the
// error an `address` property, like node:net's errors.
import { lstatSync } from 'node:fs';
import { encodeUnix } from '../core/sockaddr.js';
import { explain, hasCode } from '../errors.js';
import { constants, native } from '../native.js';

/** What is at a filesystem path, for explanations. */
export type PathState = 'missing' | 'not-socket' | 'stale' | 'datagram' | 'not-datagram' | 'unknown';

/** lstat(2) then, for a socket file, a datagram connect(2) probe (non-blocking, sends nothing). */
export function probePath(path: string): { state: PathState; kind?: string } {
  let kind: string;
  try {
    const stats = lstatSync(path);
    if (!stats.isSocket()) {
      kind = stats.isFile()
        ? 'a regular file'
        : stats.isDirectory()
          ? 'a directory'
          : stats.isSymbolicLink()
            ? 'a symbolic link'
            : stats.isFIFO()
              ? 'a FIFO'
              : 'not a socket';
      return { state: 'not-socket', kind };
    }
  } catch (error) {
    return { state: hasCode(error, 'ENOENT') ? 'missing' : 'unknown' };
  }
  return { state: probeSocket(path) };
}

/** Whether anyone is bound to the socket at `path` (a filesystem path or '@name'). */
function probeSocket(path: string): PathState {
  const probe = new native.SocketHandle(constants.AF_UNIX, constants.SOCK_DGRAM, 0);
  try {
    // unix(7): the name is looked up at connect time: ECONNREFUSED when no socket is bound to the
    // file (a stale file), EPROTOTYPE when the bound socket is of another type.
    native.connect(probe.fd, encodeUnix(path));
    return 'datagram';
  } catch (error) {
    if (hasCode(error, 'ECONNREFUSED')) return 'stale';
    if (hasCode(error, 'EPROTOTYPE')) return 'not-datagram';
    return 'unknown';
  } finally {
    probe.close();
  }
}

function withAddress(error: unknown, path: string | undefined, explanation: string | undefined): unknown {
  if (explanation) explain(error, explanation);
  if (path !== undefined && error instanceof Error) (error as { address?: string }).address = path;
  return error;
}

const streamHint = (path: string) =>
  `${path} is not a datagram socket (it is a stream socket, SOCK_STREAM, or a seqpacket one): a datagram cannot be sent to it. For a stream socket use node:net: net.createConnection('${path}')`;

/** Explains an error of connect(2) or sendmsg(2) towards `path` (undefined: the connected peer). */
export function explainPeerError(error: unknown, path: string | undefined, size?: number, sendLimit?: number): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const where = path ?? 'the connected peer';
  const abstract = path?.startsWith('@') ?? false;
  switch (code) {
    case 'ENOENT':
      return withAddress(error, path, `no socket at ${where}: nothing exists at that path (is the receiver running?)`);
    case 'ECONNREFUSED': {
      if (path === undefined) {
        return withAddress(error, path, 'the connected peer has closed its socket: nobody receives there any more');
      }
      if (abstract) {
        return withAddress(error, path, `nothing is bound to the abstract name ${path} in this network namespace`);
      }
      const probe = probePath(path);
      if (probe.state === 'not-socket') {
        return withAddress(error, path, `${path} is ${probe.kind}, not a socket`);
      }
      return withAddress(
        error,
        path,
        `${path} is a socket file but no socket is bound to it: the receiver exited or has not started (a stale socket file)`,
      );
    }
    case 'EPROTOTYPE':
      return withAddress(error, path, streamHint(where));
    case 'EMSGSIZE':
      return withAddress(
        error,
        path,
        `the datagram is ${size ?? '?'} bytes, more than this socket can send: at most ${sendLimit ?? '?'} bytes (unix(7): SO_SNDBUF minus 32; raise it with UnixDatagramSocket.create({ sendBufferSize }))`,
      );
    case 'EPERM':
      return withAddress(
        error,
        path,
        `the socket at ${where} is connected to another socket and accepts datagrams only from that one`,
      );
    case 'EACCES':
      return withAddress(error, path, `no permission: sending to ${where} needs write permission on the socket file`);
    case 'ENOTCONN':
    case 'EDESTADDRREQ':
      return withAddress(
        error,
        path,
        'this socket is not connected: pass a path to send() or call connect(path) first',
      );
    default:
      return withAddress(error, path, undefined);
  }
}

/** Explains an error of bind(2) on `path`; for EADDRINUSE it looks at what is there. */
export function explainBindError(error: unknown, path: string, bound: string | undefined): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    if (path.startsWith('@')) {
      return withAddress(error, path, `another socket in this network namespace is bound to the abstract name ${path}`);
    }
    const probe = probePath(path);
    const what =
      probe.state === 'not-socket'
        ? `${path} exists and is ${probe.kind}: rawsock never removes it`
        : probe.state === 'stale'
          ? `${path} is a stale socket file (nobody is bound to it): pass { removeStale: true } to bind() to replace it`
          : probe.state === 'datagram'
            ? `a datagram socket is bound to ${path} and receiving: another process is using it`
            : probe.state === 'not-datagram'
              ? `a stream or seqpacket socket is bound to ${path}: another process is using it`
              : `${path} already exists`;
    return withAddress(error, path, what);
  }
  if (code === 'EINVAL' && bound !== undefined) {
    return withAddress(
      error,
      path,
      `this socket is already bound to ${bound} (it binds itself on its first connect() or send() unless created with { autobind: false }: call bind() first)`,
    );
  }
  if (code === 'EACCES') return withAddress(error, path, `no permission to create a socket file at ${path}`);
  if (code === 'ENOENT') return withAddress(error, path, `the directory of ${path} does not exist`);
  return withAddress(error, path, undefined);
}
