#!/usr/bin/env python3
"""send.py - rawsock's send benchmark driver: senders side by side, one receiver for all.

Each run happens in a fresh network namespace (`unshare -n`, or `unshare -rn` when not root):
lo comes up, the receiver (`build/sockrx -M mmsg`, a C recvmmsg sink) binds the Unix path or
the UDP / UDP-Lite port pinned to --rx-cpu, then ONE sender is started pinned to --tx-cpu. It
sets up and prints READY; the driver snapshots the sender's CPU time (schedstat of all its
threads), writes "go" to its stdin, and when it prints `sent=N elapsed_ns=E` snapshots again. The
difference / N is the headline, the sender's own CPU per datagram; N / E is its rate. Runs are
interleaved (round 1 of every line and size, then round 2, ...) and every figure is a median.

Senders are one line each in a senders file (bench/send/senders.conf; format in bench/README.md).

  bench/run.sh send                                  # the usual entry point
  bench/send/send.py --conf bench/send/senders.conf --list
  bench/send/send.py --conf bench/send/senders.conf --runs 1 --count 50000 --only c-send-unix,rawsock-unix-send
  bench/send/send.py --report bench/results/send.raw.json   # re-render the .md, run nothing
"""
import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time

SEND = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(SEND), 'harness'))
import bench  # noqa: E402  (the receive suites' driver: /proc readers, process control, formatting)

# what the one receiver of a run is, per socket kind of the sender
RECEIVERS = {
    'unix': '-m unix -u {path}',
    'udp': '-m udp -p {port}',
    'udplite': '-m udplite -p {port}',
    # the frames carry IPv4/UDP over lo from 10.99.0.2 to 10.99.0.1 (PACKET_NET below), not
    # 127.0.0.1: the kernel drops 127/8 packets that arrive without a route (IP_LOCALNET)
    'packet-raw': '-m udp -a 10.99.0.1 -p {port}',
    'packet-cooked': '-m udp -a 10.99.0.1 -p {port}',
}
PACKET_NET = '10.99.0.1/24'
# the lines every other line's ratios divide by; {mode} is the line's own socket kind
BASELINES = ('c-send-{mode}', 'c-sendmmsg-{mode}', 'node-unix-dgram', 'node-dgram')


def parse_line(line, conf):
    line = line.strip()
    if not line or line.startswith('#'):
        return None
    parts = [p.strip() for p in line.split('|', 3)]
    if len(parts) != 4:
        raise ValueError(f'sender line needs 4 "|"-separated fields: {line!r}')
    name, mode, opts, cmd = parts
    if mode not in RECEIVERS:
        raise ValueError(f'{name}: mode must be one of {list(RECEIVERS)}')
    return {'name': name, 'mode': mode, 'opts': opts, 'cmd': cmd, 'suite': os.path.dirname(os.path.abspath(conf))}


def load(paths, only, added):
    lines = []
    for path in paths:
        with open(path) as f:
            lines += [s for s in (parse_line(l, path) for l in f) if s]
    lines += [s for s in (parse_line(l, paths[0] if paths else SEND + '/x') for l in added) if s]
    if only:
        want = [w.strip() for w in only.split(',') if w.strip()]
        missing = [w for w in want if w not in {s['name'] for s in lines}]
        if missing:
            sys.exit(f'unknown sender(s): {missing}; see --list')
        lines = [s for s in lines if s['name'] in want]
    return lines


class Sender(bench.Proc):
    """bench.Proc with a stdin pipe: the go line, and EOF to let it exit."""

    def __init__(self, cmd, tmp, cpu, env):
        self.cmd = cmd
        self.out_path = os.path.join(tmp, 'tx.out')
        self.err_path = os.path.join(tmp, 'tx.err')
        self.out = open(self.out_path, 'w')
        self.err = open(self.err_path, 'w')
        self.p = subprocess.Popen(['bash', '-c', 'exec ' + cmd], stdin=subprocess.PIPE, stdout=self.out,
                                  stderr=self.err, env=env, cwd=bench.REPO, preexec_fn=bench._child_setup(cpu))
        self.pid = self.p.pid
        self.status = None
        self.rusage = None


def inner(spec):
    """One run inside a fresh netns; prints one 'RESULT {json}' line and never hangs."""
    os.sched_setaffinity(0, {spec['tx_cpu']})
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    subprocess.run(['ip', 'addr', 'add', PACKET_NET, 'dev', 'lo'], check=True)
    tmp = tempfile.mkdtemp(prefix='rawsock-send-run-', dir='/tmp')
    line = spec['sender']
    vars_ = {'path': os.path.join(tmp, 'rx.sock'), 'port': spec['port'], 'count': spec['count'],
             'size': spec['size'], 'bin': bench.BIN, 'tx': os.path.join(SEND, 'tx'), 'repo': bench.REPO,
             'suite': line['suite'], 'python': sys.executable}
    res = {'name': line['name'], 'mode': line['mode'], 'size': spec['size'], 'ok': False}
    procs = []
    env = dict(os.environ, PYTHONUNBUFFERED='1', NODE_PATH=spec['node_path'])
    try:
        if spec.get('unix_qlen'):
            # Per network namespace; a fresh one starts at the kernel default, 10 (systemd sets 512).
            with open('/proc/sys/net/unix/max_dgram_qlen', 'w') as f:
                f.write(str(spec['unix_qlen']))
        res['sysctl_unix_qlen'] = open('/proc/sys/net/unix/max_dgram_qlen').read().strip()
        rx = bench.Proc(f"{bench.BIN}/sockrx -M mmsg " + RECEIVERS[line['mode']].format(**vars_), tmp, 'rx',
                        cpu=spec['rx_cpu'], env=env)
        procs.append(rx)
        if not rx.wait_for(r'READY', 10):
            raise RuntimeError('receiver not ready: ' + rx.text()[-500:])
        cmd = line['cmd'].format(**vars_)
        res['command'] = bench.portable(cmd.replace(tmp, '$RUNTMP'))
        tx = Sender(cmd, tmp, spec['tx_cpu'], env)
        procs.append(tx)
        if not tx.wait_for(r'READY', spec['ready_timeout']):
            raise RuntimeError('sender not ready: ' + tx.text()[-800:])
        time.sleep(spec['settle'])
        c0, busy0 = bench.proc_cpu(tx.pid), bench.read_cpu_busy()
        rx0 = bench.proc_cpu(rx.pid)
        tx.p.stdin.write(b'go\n')
        tx.p.stdin.flush()
        if not tx.wait_for(r'sent=\d+ elapsed_ns=\d+', spec['send_timeout']):
            raise RuntimeError('sender did not finish: ' + tx.text()[-800:])
        c1, busy1 = bench.proc_cpu(tx.pid), bench.read_cpu_busy()
        t_end = time.monotonic()
        m = re.search(r'sent=(\d+) elapsed_ns=(\d+)', tx.text())
        res.update(sent=int(m.group(1)), elapsed_ns=int(m.group(2)),
                   tx_cpu_ns=c1[0] - c0[0], tx_user_ns=(c1[1] - c0[1]) * 1e9 / bench.CLK_TCK,
                   tx_sys_ns=(c1[2] - c0[2]) * 1e9 / bench.CLK_TCK, machine_busy_ns=busy1[0] - busy0[0])
        tx.p.stdin.close()
        if not tx.wait(5):
            tx.stop(signal.SIGTERM)
        bench.drain(rx, t_end, 0.1, spec['max_drain'], res)
        rx1 = bench.proc_cpu(rx.pid)
        res['rx_cpu_ns'] = rx1[0] - rx0[0] if rx0 and rx1 else None
        rx.stop(signal.SIGINT)
        mc = re.search(r'received=(\d+)', rx.text())
        if not mc:
            raise RuntimeError('no count from the receiver: ' + rx.text()[-500:])
        res['received'] = int(mc.group(1))
        res['ok'] = True
    except Exception as e:  # report, never hang
        res['error'] = f'{type(e).__name__}: {e}'
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.stop(signal.SIGTERM, grace=2)
        subprocess.run(['rm', '-rf', tmp])
    print('RESULT ' + json.dumps(res), flush=True)


def run_one(spec, timeout):
    """One sender's run in a fresh netns (bench.run_in_netns runs this file's --inner there)."""
    return bench.run_in_netns(__file__, spec, timeout, {'name': spec['sender']['name'], 'size': spec['size']})


# --------------------------------------------------------------------------- report

def summarize(runs):
    ok = [r for r in runs if r.get('ok') and r.get('sent')]
    s = {'runs': len(runs), 'ok_runs': len(ok), 'errors': [r.get('error') for r in runs if not r.get('ok')]}
    if not ok:
        return s
    per = [r['tx_cpu_ns'] / r['sent'] for r in ok]
    s.update(mode=ok[0]['mode'], command=ok[0].get('command'), cpu=bench.med(per), cpu_min=min(per),
             cpu_max=max(per), rate=bench.med([r['sent'] / (r['elapsed_ns'] / 1e9) for r in ok]),
             user=bench.med([r['tx_user_ns'] / r['sent'] for r in ok]),
             sys=bench.med([r['tx_sys_ns'] / r['sent'] for r in ok]),
             sent=bench.med([r['sent'] for r in ok]),
             lost_pct=bench.med([100.0 * (r['sent'] - r['received']) / r['sent'] for r in ok]),
             rx_cpu=bench.med([r['rx_cpu_ns'] / max(r['received'], 1) for r in ok if r.get('rx_cpu_ns') is not None]))
    return s


def size_tables(names, runs, size):
    sums = {n: summarize([r for r in runs[n] if r.get('size') == size]) for n in names}
    head = ('| sender | socket | CPU ns/datagram, median (min–max) | user / sys ns | datagrams/s | lost % '
            '| receiver CPU ns/datagram | CPU ÷ C send | CPU ÷ C sendmmsg | CPU ÷ unix-dgram | CPU ÷ node:dgram '
            '| rate ÷ C send | rate ÷ unix-dgram |')
    out = [head, '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for n in names:
        s = sums[n]
        if not s.get('ok_runs'):
            err = ' '.join('; '.join(str(e) for e in s['errors']).split()).replace('|', '/')[:160]
            out.append(f'| {n} | FAILED | {err} |' + ' |' * 10)
            continue
        base = [sums.get(b.format(mode=s['mode'])) for b in BASELINES]

        def r(key, b):
            return bench.fmt_ratio(bench.ratio(s[key], b[key])) if b and b.get('ok_runs') else 'n/a'
        out.append(f"| {n} | {s['mode']} | **{bench.fmt(s['cpu'])}** ({bench.fmt(s['cpu_min'])}–{bench.fmt(s['cpu_max'])}) | "
                   f"{bench.fmt(s['user'])} / {bench.fmt(s['sys'])} | {bench.fmt(s['rate'])} | {bench.fmt(s['lost_pct'], pct=True)} | "
                   f"{bench.fmt(s['rx_cpu'])} | {r('cpu', base[0])} | {r('cpu', base[1])} | {r('cpu', base[2])} | "
                   f"{r('cpu', base[3])} | {r('rate', base[0])} | {r('rate', base[2])} |")
    return '\n'.join(out), sums


def write_report(raw, label, note=None):
    a, machine = raw['args'], raw['machine']
    names = list(raw['runs'])
    md = [f'## {label}', '',
          f"count={a['count']} sizes={a['sizes']} runs={a['runs']} (medians, rounds interleaved) tx_cpu={a['tx_cpu']} "
          f"rx_cpu={a['rx_cpu']}; nproc={machine['nproc']} kernel={machine['kernel']} node={machine['node']} "
          f"python={machine['python']}; net.unix.max_dgram_qlen={raw.get('unix_qlen', '?')}"
          + (f"; {raw['elapsed_s']:.0f}s" if raw.get('elapsed_s') else ''), '']
    if raw.get('load'):
        md += [f"Load average before / after the run: {raw['load'][0]} / {raw['load'][1]} (2 CPUs)." , '']
    if note or a.get('note'):
        md += [note or a['note'], '']
    if raw.get('argv'):
        md += ['Invocation: `' + ' '.join(shlex.quote(x) for x in raw['argv']) + '`', '']
    md += ['The receiver of every line is the same C recvmmsg sink (`bench/build/sockrx -M mmsg`) on the other CPU. '
           'CPU ns/datagram: the sender process\'s on-CPU time, all threads (schedstat), from its go to its last '
           'send, ÷ datagrams sent. Ratios divide the medians: the C lines of the same socket kind, npm unix-dgram, '
           'node:dgram (UDP). Method: bench/README.md.', '']
    for size in a['sizes']:
        table, _ = size_tables(names, raw['runs'], size)
        md += [f'### {size} B datagrams', '', table, '']
    md += ['Commands:', '']
    seen = set()
    for n in names:
        c = next((r.get('command') for r in raw['runs'][n] if r.get('command')), None)
        if c and n not in seen:
            seen.add(n)
            md.append(f'- {n}: `{c}`')
    text = bench.portable('\n'.join(md) + '\n')
    os.makedirs(bench.RESULTS, exist_ok=True)
    with open(os.path.join(bench.RESULTS, f'{label}.md'), 'w') as f:
        f.write(text)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--inner', help=argparse.SUPPRESS)
    ap.add_argument('--conf', action='append', default=[])
    ap.add_argument('--add', action='append', default=[], metavar='LINE')
    ap.add_argument('--only')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--count', type=int, default=300000)
    ap.add_argument('--sizes', default='64,1400', help='payload bytes, comma-separated')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--port', type=int, default=9999)
    ap.add_argument('--tx-cpu', type=int, default=0)
    ap.add_argument('--rx-cpu', type=int, default=1)
    ap.add_argument('--unix-qlen', type=int, help='net.unix.max_dgram_qlen in the run\'s namespace (default: 10, as it starts)')
    ap.add_argument('--settle', type=float, default=0.2)
    ap.add_argument('--max-drain', type=float, default=10.0)
    ap.add_argument('--ready-timeout', type=float, default=30.0)
    ap.add_argument('--send-timeout', type=float, default=120.0)
    ap.add_argument('--run-timeout', type=int, default=200)
    ap.add_argument('--note', help='a sentence for the report (e.g. that the machine was shared)')
    ap.add_argument('--node-path', default=os.path.join(os.environ.get('BENCH_NPM_DIR', bench.DEFAULT_NPM_DIR), 'node_modules'))
    ap.add_argument('--label', default='send')
    ap.add_argument('--report', metavar='RAW_JSON')
    args = ap.parse_args()
    if args.inner:
        def _term(signum, frame):
            raise SystemExit(1)  # run inner()'s cleanup
        signal.signal(signal.SIGTERM, _term)
        inner(json.loads(args.inner))
        return
    if args.report:
        with open(args.report) as f:
            raw = json.load(f)
        write_report(raw, args.label or raw['label'], args.note)
        return
    lines = load(args.conf or [os.path.join(SEND, 'senders.conf')], args.only, args.add)
    if args.list:
        for s in lines:
            print(f"{s['name']:26} {s['mode']:14} {s['cmd']}")
        return
    bench.ensure_built()
    if not os.access(os.path.join(bench.BIN, 'txc'), os.X_OK):
        subprocess.run([os.path.join(bench.HARNESS, 'build.sh')], check=True)
    sizes = [int(x) for x in args.sizes.split(',')]
    base = {k: getattr(args, k) for k in ('count', 'port', 'tx_cpu', 'rx_cpu', 'settle', 'max_drain',
                                         'ready_timeout', 'send_timeout', 'node_path', 'unix_qlen')}
    runs = {s['name']: [] for s in lines}
    t0 = time.time()
    load0 = open('/proc/loadavg').read().split()[:3]
    for i in range(args.runs):
        for size in sizes:
            for s in lines:
                res = run_one(dict(base, size=size, sender=s), args.run_timeout)
                runs[s['name']].append(res)
                extra = (f"cpu_ns/dgram={res['tx_cpu_ns'] / max(res['sent'], 1):.0f} "
                         f"rate={res['sent'] / (res['elapsed_ns'] / 1e9):.0f}/s lost={res['sent'] - res['received']}"
                         if res.get('ok') else f"ERROR {res.get('error')}")
                print(f"[{i + 1}/{args.runs}] {size:5}B {s['name']:26} {extra}", flush=True)
    qlen = next((r.get('sysctl_unix_qlen') for rs in runs.values() for r in rs if r.get('sysctl_unix_qlen')), '?')
    vargs = dict(vars(args), sizes=sizes)
    raw = {'label': args.label, 'argv': sys.argv, 'elapsed_s': time.time() - t0, 'args': vargs,
           'machine': bench.machine_info(), 'runs': runs, 'unix_qlen': qlen,
           'load': [' '.join(load0), ' '.join(open('/proc/loadavg').read().split()[:3])]}
    os.makedirs(bench.RESULTS, exist_ok=True)
    with open(os.path.join(bench.RESULTS, f'{args.label}.raw.json'), 'w') as f:
        json.dump(raw, f, indent=1)
    write_report(raw, args.label)


if __name__ == '__main__':
    main()
