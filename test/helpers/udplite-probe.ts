// Prints, as one JSON line, what rawsock's UDP-Lite says about the kernel it runs on: whether it
// is supported, and what creating a socket of each family gives. The tests run it under
// udplite-off.c, a seccomp filter that makes the kernel look like one without UDP-Lite.
import dgram from 'node:dgram';
import { UdpLiteSocket, udpLiteSupported } from '../../lib/udplite/index.js';

function attempt(family: 4 | 6) {
  try {
    UdpLiteSocket.create({ family }).close();
    return null;
  } catch (error) {
    const { code, errno, syscall, message } = error as NodeJS.ErrnoException;
    return { code, errno, syscall, message };
  }
}

// Plain UDP must be untouched: the filter removes UDP-Lite only.
const udp = dgram.createSocket('udp4');
udp.bind(0, '127.0.0.1', () => {
  console.log(
    JSON.stringify({
      supported: { 4: udpLiteSupported(4), 6: udpLiteSupported(6) },
      create: { 4: attempt(4), 6: attempt(6) },
      udpPort: udp.address().port,
    }),
  );
  udp.close();
});
