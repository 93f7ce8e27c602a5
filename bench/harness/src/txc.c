/*
 * txc.c - the C reference senders of the send suite (bench/send).
 *
 *   txc -m unix|udp|udplite|packet-raw|packet-cooked [-u PATH] [-p PORT] [-M mmsg|send]
 *       [-n COUNT] [-s PAYLOAD] [-b BATCH]
 *
 * Sets up, prints READY, waits for a line on stdin ("go"), sends COUNT datagrams of PAYLOAD bytes
 * and prints  sent=N elapsed_ns=E  (from "go" to the last send), then waits for stdin to close
 * so the driver can read its CPU time while it still exists.
 *   -M mmsg : sendmmsg(2) in batches of BATCH (default 64)
 *   -M send : one send(2) / sendto(2) per datagram
 *   unix    : AF_UNIX SOCK_DGRAM connected to PATH, blocking (the kernel flow-controls: a full
 *             receiver queue puts the sender to sleep, unix(7))
 *   udp, udplite : AF_INET SOCK_DGRAM (IPPROTO_UDPLITE 136) connected to 127.0.0.1:PORT
 *   packet-raw   : AF_PACKET SOCK_RAW, protocol 0 (receives nothing, packet(7)), sendto() on lo of
 *                  whole Ethernet frames carrying IPv4/UDP to 10.99.0.1:PORT (on lo in the run's netns)
 *   packet-cooked: AF_PACKET SOCK_DGRAM, the same IPv4/UDP packets; the kernel adds the link header
 * Every datagram is delivered by the kernel to the one receiver of the run (a recvmmsg sink).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

static void usage(void) {
    fprintf(stderr, "usage: txc -m unix|udp|udplite|packet-raw|packet-cooked [-u path] [-p port] "
                    "[-M mmsg|send] [-n count] [-s payload] [-b batch]\n");
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* RFC 791 header checksum: the ones' complement of the ones' complement sum of 16-bit words. */
static uint16_t ip_checksum(const uint8_t *p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* IPv4 + UDP (checksum 0: none, allowed on IPv4) from 10.99.0.2:40000 to 10.99.0.1:port (addresses the
 * driver puts on lo: the kernel drops 127/8 packets that arrive without a route, IP_LOCALNET). */
static size_t build_ipv4_udp(uint8_t *out, int port, int payload) {
    size_t total = 20 + 8 + (size_t)payload;
    memset(out, 0, total);
    out[0] = 0x45;
    out[2] = (uint8_t)(total >> 8), out[3] = (uint8_t)total;
    out[8] = 64, out[9] = IPPROTO_UDP;
    out[12] = 10, out[13] = 99, out[15] = 2, out[16] = 10, out[17] = 99, out[19] = 1;
    uint16_t c = ip_checksum(out, 20);
    out[10] = (uint8_t)(c >> 8), out[11] = (uint8_t)c;
    uint8_t *udp = out + 20;
    udp[0] = 40000 >> 8, udp[1] = 40000 & 0xff, udp[2] = (uint8_t)(port >> 8), udp[3] = (uint8_t)port;
    udp[4] = (uint8_t)((8 + payload) >> 8), udp[5] = (uint8_t)(8 + payload);
    memset(udp + 8, 'x', (size_t)payload);
    return total;
}

int main(int argc, char **argv) {
    const char *mode = NULL, *path = NULL, *how = "mmsg";
    int port = 9999, size = 64, batch = 64;
    long long count = 200000;
    int c;
    while ((c = getopt(argc, argv, "m:u:p:M:n:s:b:h")) != -1) {
        switch (c) {
        case 'm': mode = optarg; break;
        case 'u': path = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'M': how = optarg; break;
        case 'n': count = atoll(optarg); break;
        case 's': size = atoi(optarg); break;
        case 'b': batch = atoi(optarg); break;
        default: usage();
        }
    }
    int mmsg = !strcmp(how, "mmsg");
    if (!mode || (!mmsg && strcmp(how, "send")) || size < 8 || size > 9000 || batch < 1 || batch > 1024 || count < 1)
        usage();

    int fd = -1;
    size_t frame_len = (size_t)size;
    uint8_t *frame = calloc(1, 14 + 28 + (size_t)size);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET};
    struct sockaddr *to = NULL;
    socklen_t tolen = 0;
    if (!frame) return 1;
    memset(frame, 'x', (size_t)size);
    if (!strcmp(mode, "unix")) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (!path || strlen(path) >= sizeof(sun.sun_path)) usage();
        strcpy(sun.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) { perror("txc: unix"); return 1; }
    } else if (!strcmp(mode, "udp") || !strcmp(mode, "udplite")) {
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_DGRAM, !strcmp(mode, "udp") ? IPPROTO_UDP : IPPROTO_UDPLITE);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) { perror("txc: inet"); return 1; }
    } else if (!strcmp(mode, "packet-raw") || !strcmp(mode, "packet-cooked")) {
        int raw = !strcmp(mode, "packet-raw");
        fd = socket(AF_PACKET, raw ? SOCK_RAW : SOCK_DGRAM, 0);
        if (fd < 0) { perror("txc: packet socket"); return 1; }
        sll.sll_ifindex = (int)if_nametoindex("lo");
        sll.sll_protocol = htons(ETH_P_IP);
        sll.sll_halen = 6; /* lo's address is all zeros, and so is the destination */
        if (!sll.sll_ifindex) { perror("txc: lo"); return 1; }
        if (raw) {
            memset(frame, 0, 12);
            frame[12] = 0x08, frame[13] = 0x00;
            frame_len = 14 + build_ipv4_udp(frame + 14, port, size);
        } else {
            frame_len = build_ipv4_udp(frame, port, size);
        }
        to = (struct sockaddr *)&sll;
        tolen = sizeof(sll);
    } else {
        usage();
    }

    struct mmsghdr *msgs = calloc((size_t)batch, sizeof(*msgs));
    struct iovec iov = {frame, frame_len};
    if (!msgs) return 1;
    for (int i = 0; i < batch; i++) {
        msgs[i].msg_hdr.msg_iov = &iov; /* every message is the same bytes, as in the JS senders */
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = to;
        msgs[i].msg_hdr.msg_namelen = tolen;
    }

    printf("READY\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof(line), stdin)) return 1;

    long long sent = 0, errors = 0;
    uint64_t t0 = now_ns();
    while (sent < count) {
        if (mmsg) {
            unsigned n = (unsigned)(count - sent < batch ? count - sent : batch);
            int r = sendmmsg(fd, msgs, n, 0);
            if (r > 0) { sent += r; continue; }
        } else {
            ssize_t r = to ? sendto(fd, frame, frame_len, 0, to, tolen) : send(fd, frame, frame_len, 0);
            if (r >= 0) { sent++; continue; }
        }
        /* UDP on loopback: ENOBUFS or ECONNREFUSED (an earlier ICMP); retry, give up after many */
        if (errno != EINTR && ++errors > 1000000) { perror("txc: send"); break; }
    }
    uint64_t elapsed = now_ns() - t0;
    printf("sent=%lld elapsed_ns=%llu errors=%lld\n", sent, (unsigned long long)elapsed, errors);
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
    }
    close(fd);
    return sent == count ? 0 : 2;
}
