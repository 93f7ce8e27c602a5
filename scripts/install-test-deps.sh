#!/usr/bin/env bash
# Installs the Debian packages the test suite and examples use as real peers: iproute2 (ip, ss),
# util-linux (unshare, setpriv, nsenter), iputils ping and tracepath, Debian's traceroute and
# nftables (the ICMP tests' peers and their rejecting router), tcpdump and libpcap (pcap-filter compiler), tshark, socat,
# python3, and clang-format / clang-tidy for `npm run lint`; for the linux-arm64 prebuild and
# `npm run test:arm64`, the aarch64 cross compiler, qemu-user and the aarch64 libc, and then the
# arm64 Node from the npm registry (scripts/install-arm64-runtime.mjs, cached in
# ~/.cache/rawsock/arm64). Idempotent: installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have ip || need+=(iproute2)
have ss || need+=(iproute2)
have unshare || need+=(util-linux)
have setpriv || need+=(util-linux)
have tcpdump || need+=(tcpdump)
have tshark || need+=(tshark)
have dumpcap || need+=(wireshark-common)
have socat || need+=(socat)
have fakeroot || need+=(fakeroot)
have python3 || need+=(python3)
have ping || need+=(iputils-ping)
have tracepath || need+=(iputils-tracepath)
have traceroute || need+=(traceroute)
have nft || need+=(nftables)
have nsenter || need+=(util-linux)
have gcc || need+=(gcc)
have valgrind || need+=(valgrind)
have clang-format || need+=(clang-format)
have clang-tidy || need+=(clang-tidy)
# The link-layer tests' peers: DHCP servers (dnsmasq, busybox udhcpd) and iputils arping.
have dnsmasq || need+=(dnsmasq-base)
have busybox || need+=(busybox)
have arping || need+=(iputils-arping)
ldconfig -p 2>/dev/null | grep -q 'libpcap\.so' || need+=(libpcap0.8)
have aarch64-linux-gnu-g++ || need+=(g++-aarch64-linux-gnu)
have qemu-aarch64-static || need+=(qemu-user-static)
[[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || need+=(libc6-arm64-cross)
# Not fatal: without it only `npm run test:arm64` fails, and it says what is missing.
arm64_runtime() {
  node "$(dirname "$0")/install-arm64-runtime.mjs" ||
    echo "install-test-deps: could not fetch the arm64 Node; npm run test:arm64 will fail until it is there" >&2
}

if ((${#need[@]} == 0)); then
  echo "test dependencies: all present"
  arm64_runtime
  exit
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if have sudo; then sudo="sudo"; else
    echo "install-test-deps: missing ${need[*]} and not root (run as root or install them)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "test dependencies: installed ${need[*]}"
arm64_runtime
