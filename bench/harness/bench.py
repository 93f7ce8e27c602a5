#!/usr/bin/env python3
"""bench.py - rawsock's datagram-receive benchmark driver (loopback, fresh netns per run).

Each measurement run happens in its own fresh network namespace (`unshare -n`, or
`unshare -rn` when not root): lo is brought up, an optional discard sink is bound to
the port, ONE receiver is started (pinned to --rx-cpu), then `blast` (pinned to
--tx-cpu) sends --count datagrams to 127.0.0.1:PORT (or a unix path). After the
sender finishes the driver waits until the receiver has gone idle, snapshots
counters, sends SIGINT (then SIGTERM, then SIGKILL, each by pid) and parses what
the receiver printed. Runs are interleaved round-robin; every figure is a median.

Receivers are one line each in a receivers file (--conf, several allowed; format in
bench/README.md). Each suite (bench/capture, bench/udplite, bench/unix) has its own.

  bench/run.sh capture                       # the usual entry point
  harness/bench.py --conf bench/unix/receivers.conf --list
  harness/bench.py --conf bench/capture/receivers.conf --baseline node-cap-64M --runs 3
  harness/bench.py --conf ... --add 'my-rx | udp | sink | node /path/my_rx.js {iface} {filter_q}'
  harness/bench.py --report bench/results/capture.raw.json   # re-render the .md, run nothing
"""
import argparse
import datetime
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HARNESS = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HARNESS)
REPO = os.path.dirname(BENCH)
BIN = os.path.join(BENCH, 'build')        # git-ignored build outputs
RX = os.path.join(HARNESS, 'rx')          # the peer receivers
RESULTS = os.path.join(BENCH, 'results')  # *.md committed, *.raw.json git-ignored
PROGRAMS = ('blast', 'pktrx', 'sockrx')
CLK_TCK = os.sysconf('SC_CLK_TCK')
DEFAULT_NPM_DIR = '/tmp/rawsock-bench-npm'

DEFAULT_OPTS = {
    'ready': r'READY',
    'count': r'received=(\d+)',
    'drops': r'kernel_drops=(-?\d+)',
    'drain': '1.2',
}
FILTERS = {
    # classic-BPF filter expression handed to `tcpdump -dd` / libpcap receivers
    'udp': 'udp dst port {port}',
    'udplite': 'ip proto 136 and ip[((ip[0] & 0xf) << 2) + 2 : 2] = {port}',
    'unix': '',
}


# --------------------------------------------------------------------------- config

def parse_receiver_line(line, conf=None):
    """'name | mode | opts | command template'  ->  dict (None for blank/comment).

    `conf` is the file the line came from; its folder is the {suite} template variable.
    """
    line = line.strip()
    if not line or line.startswith('#'):
        return None
    parts = [p.strip() for p in line.split('|', 3)]
    if len(parts) != 4:
        raise ValueError(f'receiver line needs 4 "|"-separated fields: {line!r}')
    name, mode, opts, cmd = parts
    if mode not in FILTERS:
        raise ValueError(f'{name}: mode must be one of {list(FILTERS)}')
    o = dict(DEFAULT_OPTS)
    flags = set()
    for item in [x.strip() for x in opts.split(';') if x.strip()]:
        if '=' in item:
            k, v = item.split('=', 1)
            o[k.strip()] = v.strip()
        else:
            flags.add(item)
    suite = os.path.dirname(os.path.abspath(conf)) if conf else BENCH
    return {'name': name, 'mode': mode, 'sink': 'sink' in flags, 'opts': o,
            'cmd': None if cmd in ('-', '') else cmd, 'line': line, 'suite': suite}


def load_receivers(paths):
    """All receiver lines of the given files, in order; a name may appear only once."""
    recs = []
    for path in paths:
        with open(path) as f:
            recs += [r for r in (parse_receiver_line(line, path) for line in f) if r]
    seen = set()
    for r in recs:
        if r['name'] in seen:
            raise ValueError(f"receiver {r['name']!r} is defined twice (names must be unique across --conf files)")
        seen.add(r['name'])
    return recs


def select_receivers(recs, added, only):
    """--only picks from the conf files; --add lines always run."""
    if only:
        want = [w.strip() for w in only.split(',') if w.strip()]
        names = {r['name'] for r in recs + added}
        missing = [w for w in want if w not in names]
        if missing:
            sys.exit(f'unknown receiver(s): {missing}; see --list')
        recs = [r for w in want for r in recs if r['name'] == w]
    return recs + [r for r in added if r['name'] not in {x['name'] for x in recs}]


# --------------------------------------------------------------------------- /proc helpers

def proc_cpu(pid):
    """(on-CPU ns summed over live threads from schedstat, utime ticks, stime ticks).

    schedstat has ns resolution and covers every thread (libuv pool, V8 workers), which
    is why it is the headline figure; the 10 ms-tick utime/stime only give the split.
    """
    ns = 0
    try:
        for tid in os.listdir(f'/proc/{pid}/task'):
            try:
                with open(f'/proc/{pid}/task/{tid}/schedstat') as f:
                    ns += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
        with open(f'/proc/{pid}/stat') as f:
            st = f.read()
        fields = st[st.rindex(')') + 2:].split()
        return ns, int(fields[11]), int(fields[12])
    except (FileNotFoundError, ProcessLookupError):
        return None


def read_snmp():
    out = {}
    with open('/proc/net/snmp') as f:
        lines = f.read().splitlines()
    for i in range(0, len(lines) - 1, 2):
        hk, hv = lines[i].split(':', 1), lines[i + 1].split(':', 1)
        if hk[0] in ('Udp', 'UdpLite'):
            for k, v in zip(hk[1].split(), hv[1].split()):
                out[f'{hk[0]}.{k}'] = int(v)
    return out


def read_softnet_drops():
    tot = 0
    with open('/proc/net/softnet_stat') as f:
        for line in f:
            tot += int(line.split()[1], 16)
    return tot


def read_cpu_busy():
    """machine-wide (busy ns, softirq ns, steal ns) from /proc/stat 'cpu' line."""
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    tick = 1e9 / CLK_TCK
    return (user + nice + system + irq + softirq) * tick, softirq * tick, steal * tick


def snapshot(pid):
    return {'t': time.monotonic(), 'cpu': proc_cpu(pid) if pid else None, 'snmp': read_snmp(),
            'softnet_drops': read_softnet_drops(), 'busy': read_cpu_busy()}


# --------------------------------------------------------------------------- process control

def _child_setup(cpu):
    def f():
        # die with the harness; default SIGINT/SIGTERM even if we were started with them ignored
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
    return f


class Proc:
    """A started command; the command is exec'd so self.pid is the program itself.

    Children run with cwd = the repository root, so `node --import tsx` finds the repo's
    own tsx (a devDependency) and relative imports behave as in the repo's scripts.
    """

    def __init__(self, cmd, tmp, tag, cpu=None, env=None):
        self.cmd = cmd
        self.out_path = os.path.join(tmp, f'{tag}.out')
        self.err_path = os.path.join(tmp, f'{tag}.err')
        self.out = open(self.out_path, 'w')
        self.err = open(self.err_path, 'w')
        self.p = subprocess.Popen(['bash', '-c', 'exec ' + cmd], stdin=subprocess.DEVNULL,
                                  stdout=self.out, stderr=self.err, env=env, cwd=REPO,
                                  preexec_fn=_child_setup(cpu))
        self.pid = self.p.pid
        self.status = None
        self.rusage = None

    def text(self):
        with open(self.out_path, errors='replace') as a, open(self.err_path, errors='replace') as b:
            return a.read() + '\n' + b.read()

    def poll(self):
        if self.status is None:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status, self.rusage = status, ru
                self.p.returncode = os.waitstatus_to_exitcode(status)
        return self.status

    def wait(self, timeout):
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > end:
                return False
            time.sleep(0.01)
        return True

    def wait_for(self, regex, timeout):
        end = time.monotonic() + timeout
        rx = re.compile(regex)
        while time.monotonic() < end:
            if rx.search(self.text()):
                return True
            if self.poll() is not None:
                return False
            time.sleep(0.01)
        return False

    def stop(self, first=signal.SIGINT, grace=5.0):
        """SIGINT -> SIGTERM -> SIGKILL, each to this pid only. Returns the signal that ended it."""
        for sig, t in ((first, grace), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            if self.poll() is not None:
                break
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            if self.wait(t):
                self.out.close()
                self.err.close()
                return sig
        self.out.close()
        self.err.close()
        return None


# --------------------------------------------------------------------------- one run (inside the netns)

def target_args(mode, port, path):
    return f'-u {shlex.quote(path)}' if mode == 'unix' else f'-p {port}'


def write_filter(fexpr, ffile):
    """Compile the pcap expression for lo to classic BPF (`tcpdump -dd`), for the packet receivers."""
    if fexpr:
        with open(ffile, 'w') as f:
            subprocess.run(['tcpdump', '-dd', '-i', 'lo', fexpr], stdout=f,
                           stderr=subprocess.DEVNULL, check=True, timeout=10)


def start_sink(mode, tgt, tmp, spec, env, procs):
    """Discard sink for receivers that do not own the port (packet sockets): every datagram then has
    a bound destination (no ICMP port-unreachable, no ECONNREFUSED at the sender) and is dropped
    by its `ret #0` filter at minimal cost. It shares the sender's CPU so the rx CPU stays the receiver's."""
    sink = Proc(f'{BIN}/sockrx -m {mode} {tgt} -X', tmp, 'sink', cpu=spec['tx_cpu'], env=env)
    procs.append(sink)  # so inner()'s cleanup stops it whatever happens next
    if not sink.wait_for(r'READY', 10):
        raise RuntimeError('sink not ready: ' + sink.text()[-500:])
    return sink


def start_receiver(rec, vars_, tmp, spec, env, res, procs):
    cmd = rec['cmd'].format(**vars_)
    res['command'] = cmd.replace(tmp, '$RUNTMP')
    rx = Proc(cmd, tmp, 'rx', cpu=spec['rx_cpu'], env=env)
    procs.append(rx)
    if not rx.wait_for(rec['opts']['ready'], spec['ready_timeout']):
        raise RuntimeError('receiver not ready: ' + rx.text()[-800:])
    return rx


def run_sender(mode, tgt, tmp, spec, env, res):
    """Run blast to completion and record what it reports (sent, pps, its own CPU)."""
    bcmd = (f'{BIN}/blast -m {mode} {tgt} -n {spec["count"]} -s {spec["size"]} '
            f'-b {spec["batch"]} -t {spec["blast_timeout"]}' + (f' -r {spec["rate"]}' if spec['rate'] else ''))
    res['blast_command'] = bcmd.replace(tmp, '$RUNTMP')
    blast = Proc(bcmd, tmp, 'blast', cpu=spec['tx_cpu'], env=env)
    if not blast.wait(spec['blast_timeout'] + 10):
        blast.stop(signal.SIGTERM)
        raise RuntimeError('blast timed out')
    m = re.search(r'sent=(\d+) errors=(\d+) elapsed_s=([\d.]+) pps=(\d+) user_s=([\d.]+) sys_s=([\d.]+)',
                  blast.text())
    if not m:
        raise RuntimeError('blast output: ' + blast.text()[-500:])
    res.update(sent=int(m.group(1)), send_errors=int(m.group(2)), tx_s=float(m.group(3)), tx_pps=int(m.group(4)),
               tx_cpu_ns=(float(m.group(5)) + float(m.group(6))) * 1e9, blast_rc=blast.p.returncode)


def drain(rx, t_end, min_drain, max_drain, res):
    """Wait at least `min_drain` s after the sender (longer than libpcap's 1 s block timeout, so
    batched receivers flush), then until the receiver used < 2 % CPU for 100 ms. Returns the time
    of the receiver's last busy 20 ms slice (> 10 % CPU): the end of its receive wall time."""
    last_active = t_end
    prev = proc_cpu(rx.pid)
    hist = []
    while True:
        time.sleep(0.02)
        now = time.monotonic()
        cur = proc_cpu(rx.pid)
        if cur is None or prev is None:
            break
        if cur[0] - prev[0] > 0.1 * 0.02e9:
            last_active = now
        hist.append((now, cur[0]))
        prev = cur
        old = [h for h in hist if h[0] <= now - 0.1]
        idle = bool(old) and (cur[0] - old[-1][1]) < 0.002e9
        if now - t_end >= min_drain and idle:
            break
        if now - t_end > max_drain:
            res['drain_timeout'] = True
            break
    return last_active


def record_window(b0, b1, res):
    """Namespace and machine counters over the measurement window."""
    sn = {k: b1['snmp'].get(k, 0) - b0['snmp'].get(k, 0) for k in b1['snmp']}
    res['snmp'] = {k: v for k, v in sn.items() if v}
    res['softnet_drops'] = b1['softnet_drops'] - b0['softnet_drops']
    res['machine_busy_ns'] = b1['busy'][0] - b0['busy'][0]
    res['machine_softirq_ns'] = b1['busy'][1] - b0['busy'][1]
    res['machine_steal_ns'] = b1['busy'][2] - b0['busy'][2]
    res['window_s'] = b1['t'] - b0['t']
    return sn


def collect_receiver(rx, rec, b0, b1, res):
    """The receiver's CPU over the window, then stop it and parse its count and drop counter."""
    if b0['cpu'] and b1['cpu']:
        res['rx_cpu_ns'] = b1['cpu'][0] - b0['cpu'][0]
        res['rx_user_ns'] = (b1['cpu'][1] - b0['cpu'][1]) * 1e9 / CLK_TCK
        res['rx_sys_ns'] = (b1['cpu'][2] - b0['cpu'][2]) * 1e9 / CLK_TCK
    res['rx_stop_signal'] = signal.Signals(rx.stop(signal.SIGINT)).name if rx.poll() is None else 'exited-early'
    out = rx.text()
    res['rx_output_tail'] = out.strip()[-400:]
    if rx.rusage:
        res['rx_lifetime_cpu_s'] = rx.rusage.ru_utime + rx.rusage.ru_stime
        res['rx_maxrss_kb'] = rx.rusage.ru_maxrss
    mc = re.search(rec['opts']['count'], out)
    md = re.search(rec['opts']['drops'], out)
    if not mc:
        raise RuntimeError('no receive count in receiver output: ' + out[-800:])
    res['received'] = int(mc.group(1))
    res['rx_kernel_drops'] = int(md.group(1)) if md else None


def inner(spec):
    """One run, already inside a fresh netns. Prints one 'RESULT {json}' line, never hangs."""
    os.sched_setaffinity(0, {spec['tx_cpu']})
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    tmp = tempfile.mkdtemp(prefix='rawsock-bench-run-', dir='/tmp')
    rec = spec['receiver']
    mode, port = rec['mode'], spec['port']
    path = os.path.join(tmp, 'rx.sock')
    tgt = target_args(mode, port, path)
    fexpr = rec['opts'].get('filter', FILTERS[mode]).format(port=port)
    ffile = os.path.join(tmp, 'filter.bpf')
    res = {'name': rec['name'], 'mode': mode, 'ok': False}
    procs = []
    try:
        write_filter(fexpr, ffile)
        env = dict(os.environ, PYTHONUNBUFFERED='1', NODE_PATH=spec['node_path'])
        vars_ = {'port': port, 'path': path, 'iface': 'lo', 'filter_file': ffile,
                 'filter_expr': fexpr, 'filter_q': shlex.quote(fexpr), 'bin': BIN, 'rx': RX,
                 'repo': REPO, 'suite': rec['suite'],
                 'python': sys.executable, 'count': spec['count'], 'tmp': tmp}
        res['sysctl'] = {k: open('/proc/sys/' + k).read().strip()
                         for k in ('net/core/rmem_default', 'net/core/rmem_max', 'net/unix/max_dgram_qlen')}

        sink = start_sink(mode, tgt, tmp, spec, env, procs) if rec['sink'] else None
        rx = start_receiver(rec, vars_, tmp, spec, env, res, procs) if rec['cmd'] else None
        time.sleep(spec['settle'])

        b0 = snapshot(rx.pid if rx else None)
        run_sender(mode, tgt, tmp, spec, env, res)
        t_end = time.monotonic()
        if rx:
            last_active = drain(rx, t_end, float(rec['opts']['drain']), spec['max_drain'], res)
        else:
            time.sleep(0.2)
            last_active = t_end
        b1 = snapshot(rx.pid if rx else None)
        res['rx_wall_s'] = last_active - b0['t']
        sn = record_window(b0, b1, res)

        if rx:
            collect_receiver(rx, rec, b0, b1, res)
        else:  # sender alone: how many the sink's filter discarded
            proto = 'UdpLite' if mode == 'udplite' else 'Udp'
            res['received'] = None
            res['sink_discards'] = sn.get(f'{proto}.InErrors') if mode != 'unix' else None
        if sink:
            sink.stop(signal.SIGINT)
            ms = re.search(r'kernel_drops=(-?\d+)', sink.text())
            res['sink_sk_drops'] = int(ms.group(1)) if ms else None
        res['ok'] = True
    except Exception as e:  # report, never hang
        res['error'] = f'{type(e).__name__}: {e}'
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.stop(signal.SIGTERM, grace=2)
        shutil.rmtree(tmp, ignore_errors=True)
    print('RESULT ' + json.dumps(res), flush=True)


# --------------------------------------------------------------------------- outer driver

def run_in_netns(script, spec, timeout, identity):
    """Run `script --inner SPEC` in a fresh netns (a new process) and return the result dict it
    prints; on a timeout or no result, `identity` (what names the run) with ok False and why."""
    unshare = ['unshare', '-n'] if os.geteuid() == 0 else ['unshare', '-rn']
    cmd = unshare + [sys.executable, os.path.abspath(script), '--inner', json.dumps(spec)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)  # its children die with it (PDEATHSIG)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        return dict(identity, ok=False, error=f'run timed out after {timeout}s')
    for line in out.splitlines():
        if line.startswith('RESULT '):
            return json.loads(line[7:])
    return dict(identity, ok=False, error='no result: ' + (out + err)[-800:])


def run_one(spec, timeout):
    """Run one receiver measurement in a fresh netns and return its result dict."""
    return run_in_netns(__file__, spec, timeout, {'name': spec['receiver']['name']})


def progress_line(i, runs, name, res):
    if not res.get('ok'):
        return f"[{i + 1}/{runs}] {name:24} ERROR {res.get('error')}"
    rcv = res.get('received')
    extra = (f"recv={rcv} lost={res['sent'] - rcv} rx_ns/pkt={res.get('rx_cpu_ns', 0) / max(rcv, 1):.0f}"
             if rcv is not None else f"sink_discards={res.get('sink_discards')}")
    return f"[{i + 1}/{runs}] {name:24} sent={res['sent']} tx_pps={res['tx_pps']} {extra}"


def run_all(recs, args):
    """Every receiver args.runs times, round-robin, so slow drifts (thermal, host noise) hit all alike."""
    base = {k: getattr(args, k) for k in ('count', 'size', 'batch', 'rate', 'port', 'tx_cpu', 'rx_cpu', 'settle',
                                         'max_drain', 'ready_timeout', 'blast_timeout', 'node_path')}
    allruns = {r['name']: [] for r in recs}
    for i in range(args.runs):
        for r in recs:
            res = run_one(dict(base, receiver=r), args.run_timeout)
            allruns[r['name']].append(res)
            print(progress_line(i, args.runs, r['name'], res), flush=True)
    return allruns


def ensure_built():
    """(Re)build the C programs when one is missing or older than its sources."""
    srcdir = os.path.join(HARNESS, 'src')
    newest_src = max(os.path.getmtime(os.path.join(srcdir, f)) for f in os.listdir(srcdir))
    for b in PROGRAMS:
        exe = os.path.join(BIN, b)
        if not os.access(exe, os.X_OK) or os.path.getmtime(exe) < newest_src:
            subprocess.run([os.path.join(HARNESS, 'build.sh')], check=True)
            return


def machine_info():
    return {
        'nproc': os.cpu_count(), 'kernel': os.uname().release,
        'cpu': next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?'),
        'node': subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip(),
        'python': sys.version.split()[0],
        'tcpdump': subprocess.run(['tcpdump', '--version'], capture_output=True, text=True).stdout.strip().replace('\n', '; '),
    }


# --------------------------------------------------------------------------- summaries

def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarize(name, runs, sink=False):
    """Medians over the successful runs of one receiver."""
    ok = [r for r in runs if r.get('ok')]
    s = {'name': name, 'runs': len(runs), 'ok_runs': len(ok), 'errors': [r.get('error') for r in runs if not r.get('ok')]}
    if not ok:
        return s
    s['mode'] = ok[0]['mode']
    s['command'] = ok[0].get('command')
    s['blast_command'] = ok[0].get('blast_command')
    s['sent'] = med([r['sent'] for r in ok])
    s['tx_pps'] = med([r['tx_pps'] for r in ok])
    s['tx_s'] = med([r['tx_s'] for r in ok])
    s['tx_ns_per_pkt'] = med([r['tx_cpu_ns'] / r['sent'] for r in ok if r['sent']])
    s['machine_ns_per_sent'] = med([r['machine_busy_ns'] / r['sent'] for r in ok if r['sent']])
    s['softirq_ns_per_sent'] = med([r['machine_softirq_ns'] / r['sent'] for r in ok if r['sent']])
    s['softnet_drops'] = med([r['softnet_drops'] for r in ok])
    if ok[0].get('received') is None:
        s['sink_discards'] = med([r.get('sink_discards') for r in ok])
        return s
    s['received'] = med([r['received'] for r in ok])
    s['lost'] = med([r['sent'] - r['received'] for r in ok])
    s['lost_pct'] = med([100.0 * (r['sent'] - r['received']) / r['sent'] for r in ok if r['sent']])
    s['rx_kernel_drops'] = med([r.get('rx_kernel_drops') for r in ok])
    proto = 'UdpLite' if s['mode'] == 'udplite' else 'Udp'
    # the protocol's InErrors counts this receiver's socket drops only when it owns the port (no sink)
    s['sink'] = sink
    s['snmp_inerrors'] = (med([r['snmp'].get(f'{proto}.InErrors', 0) for r in ok])
                          if s['mode'] != 'unix' and not sink else None)
    per = [r['rx_cpu_ns'] / r['received'] for r in ok if r.get('received') and 'rx_cpu_ns' in r]
    s['rx_ns_per_pkt'] = med(per)
    s['rx_ns_min'], s['rx_ns_max'] = (min(per), max(per)) if per else (None, None)
    s['lost_pct_max'] = max(100.0 * (r['sent'] - r['received']) / r['sent'] for r in ok if r['sent'])
    s['rx_user_ns_per_pkt'] = med([r['rx_user_ns'] / r['received'] for r in ok if r.get('received') and 'rx_user_ns' in r])
    s['rx_sys_ns_per_pkt'] = med([r['rx_sys_ns'] / r['received'] for r in ok if r.get('received') and 'rx_sys_ns' in r])
    s['rx_wall_s'] = med([r['rx_wall_s'] for r in ok])
    s['rx_pps'] = med([r['received'] / r['rx_wall_s'] for r in ok if r['rx_wall_s'] > 0])
    s['rx_util'] = med([r['rx_cpu_ns'] / (r['rx_wall_s'] * 1e9) for r in ok if r.get('rx_cpu_ns') and r['rx_wall_s'] > 0])
    s['drain_timeouts'] = sum(1 for r in ok if r.get('drain_timeout'))
    return s


def is_receiver(s):
    """A line that received and was measured (not a failed line, not a sender-alone line)."""
    return bool(s.get('ok_runs')) and s.get('received') is not None


def ratio(a, b):
    """a / b of two medians, or None when either is missing or b is 0."""
    if a is None or not b:
        return None
    return a / b


# --------------------------------------------------------------------------- markdown

def fmt(v, nd=0, pct=False):
    if v is None:
        return 'n/a'
    if pct:
        return f'{v:.2f}%'
    if isinstance(v, float) and nd == 0:
        return f'{v:,.0f}'
    if isinstance(v, float):
        return f'{v:,.{nd}f}'
    return f'{v:,}'


def fmt_ratio(v):
    """Two decimals, or two significant digits below 0.1 (a mmap ring is ~0.005× of cap, not 0.00×)."""
    if v is None:
        return 'n/a'
    return f'{v:.2g}×' if abs(v) < 0.1 else f'{v:.2f}×'


def kernel_drops_cell(s):
    kd = s['rx_kernel_drops']
    if kd is not None:
        return fmt(kd)
    if s.get('snmp_inerrors') is not None:
        return f"{fmt(s['snmp_inerrors'])} (snmp)"
    return 'n/a'


def ratio_cells(s, base):
    """'CPU ratio | rx pps ratio' against the baseline line's medians."""
    if base is None:
        return ''
    if s['name'] == base['name']:
        return ' (baseline) | (baseline) |'
    return (f" {fmt_ratio(ratio(s['rx_ns_per_pkt'], base['rx_ns_per_pkt']))} |"
            f" {fmt_ratio(ratio(s['rx_pps'], base['rx_pps']))} |")


def markdown(summaries, baseline=None):
    """The full table: one row per receiver, medians, plus ratio columns when a baseline is set."""
    base = next((s for s in summaries if s['name'] == baseline and is_receiver(s)), None)
    head = ('| receiver | mode | sent | received | lost % (max) | kernel drops | rx CPU ns/pkt (user+sys), median (min–max) '
            '| rx user / sys ns | rx CPU util | wall s (rx) | rx pps | sender s | sender pps | machine CPU ns/sent pkt '
            '| Δ vs sender alone |')
    rule = '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
    if base:
        head += f' CPU ns/pkt ratio vs {baseline} | rx pps ratio vs {baseline} |'
        rule += '---:|---:|'
    out = [head, rule]
    ncols = head.count('|') - 1
    alone = {s['mode']: s['machine_ns_per_sent'] for s in summaries
             if s.get('ok_runs') and s.get('received') is None and s.get('machine_ns_per_sent') is not None}
    for s in summaries:
        if not s.get('ok_runs'):
            err = ' '.join('; '.join(str(e) for e in s['errors']).split()).replace('|', '/')[:200]
            out.append(f"| {s['name']} | FAILED ({s['runs']} runs) |" + ' |' * (ncols - 3) + f' {err} |')
            continue
        if s.get('received') is None:
            disc = 'all, at sendmsg (sink filter)' if s['mode'] == 'unix' else f"sink discarded {fmt(s.get('sink_discards'))}"
            out.append(f"| {s['name']} (sender alone, discard sink) | {s['mode']} | {fmt(s['sent'])} | - | - | {disc} | - | - | - | - | - | "
                       f"{fmt(s['tx_s'], 3)} | {fmt(s['tx_pps'])} | {fmt(s['machine_ns_per_sent'])} | (baseline) |"
                       + (' - | - |' if base else ''))
            continue
        util = fmt(100 * s['rx_util'] if s['rx_util'] is not None else None, 0)
        delta = fmt(s['machine_ns_per_sent'] - alone[s['mode']]) if s['mode'] in alone else 'n/a'
        out.append(f"| {s['name']} | {s['mode']} | {fmt(s['sent'])} | {fmt(s['received'])} | "
                   f"{fmt(s['lost_pct'], pct=True)} ({fmt(s['lost_pct_max'], pct=True)}) | {kernel_drops_cell(s)} | "
                   f"**{fmt(s['rx_ns_per_pkt'])}** ({fmt(s['rx_ns_min'])}–{fmt(s['rx_ns_max'])}) | "
                   f"{fmt(s['rx_user_ns_per_pkt'])} / {fmt(s['rx_sys_ns_per_pkt'])} | {util}% | "
                   f"{fmt(s['rx_wall_s'], 3)} | {fmt(s['rx_pps'])} | {fmt(s['tx_s'], 3)} | {fmt(s['tx_pps'])} | "
                   f"{fmt(s['machine_ns_per_sent'])} | {delta} |" + ratio_cells(s, base))
    return '\n'.join(out)


def ours_vs_peers(summaries, ours_prefix):
    """'rawsock vs peers': each of our lines against each peer line of the same run.

    CPU ratio < 1 means ours used less receiver CPU per packet; pps ratio > 1 means ours
    took packets off the socket faster. Lines of different modes are compared on purpose
    (the UDP-Lite receiver against node:dgram on plain UDP): the mode column says so.
    """
    ours = [s for s in summaries if is_receiver(s) and s['name'].startswith(ours_prefix)]
    peers = [s for s in summaries if is_receiver(s) and not s['name'].startswith(ours_prefix)]
    failed = [s['name'] for s in summaries if s['name'].startswith(ours_prefix) and not s.get('ok_runs')]
    if not ours:
        note = f'No `{ours_prefix}*` receiver line in this run'
        return note + (f" (failed: {', '.join(failed)})." if failed else
                       ' (add one to the suite\'s receivers.conf, see bench/README.md).')
    out = [f'| {ours_prefix} line | mode | CPU ns/pkt | lost % | kernel drops | peer | peer mode | peer CPU ns/pkt '
           '| peer lost % | CPU ratio (ours ÷ peer) | rx pps ratio (ours ÷ peer) |',
           '|---|---|---:|---:|---:|---|---|---:|---:|---:|---:|']
    for o in ours:
        for p in peers:
            out.append(f"| {o['name']} | {o['mode']} | {fmt(o['rx_ns_per_pkt'])} | {fmt(o['lost_pct'], pct=True)} | "
                       f"{kernel_drops_cell(o)} | {p['name']} | {p['mode']} | {fmt(p['rx_ns_per_pkt'])} | "
                       f"{fmt(p['lost_pct'], pct=True)} | {fmt_ratio(ratio(o['rx_ns_per_pkt'], p['rx_ns_per_pkt']))} | "
                       f"{fmt_ratio(ratio(o['rx_pps'], p['rx_pps']))} |")
    if failed:
        out += ['', f"Failed {ours_prefix} lines: {', '.join(failed)}."]
    return '\n'.join(out)


def headline(summaries, ours_prefix, refs):
    """One row per `ours` line: median CPU ns/pkt, median and worst-run loss, kernel drops, and its
    CPU ratio against each reference line (e.g. tcpdump and the C ring) of the same run."""
    ours = [s for s in summaries if s['name'].startswith(ours_prefix)]
    byname = {s['name']: s for s in summaries if is_receiver(s)}
    head = '| receiver | CPU ns/pkt, median (min–max) | lost %, median | lost %, worst run | kernel drops | sender pps |'
    rule = '|---|---:|---:|---:|---:|---:|'
    for r in refs:
        head += f' CPU ÷ {r} |'
        rule += '---:|'
    out = [head, rule]
    for s in [byname[r] for r in refs if r in byname] + ours:
        if not is_receiver(s):
            out.append(f"| {s['name']} | FAILED ({s['runs']} runs) |" + ' |' * (head.count('|') - 3))
            continue
        cells = ''.join(f" {fmt_ratio(ratio(s['rx_ns_per_pkt'], byname[r]['rx_ns_per_pkt'])) if r in byname else 'n/a'} |"
                        for r in refs)
        out.append(f"| {s['name']} | **{fmt(s['rx_ns_per_pkt'])}** ({fmt(s['rx_ns_min'])}–{fmt(s['rx_ns_max'])}) | "
                   f"{fmt(s['lost_pct'], pct=True)} | {fmt(s['lost_pct_max'], pct=True)} | {kernel_drops_cell(s)} | "
                   f"{fmt(s['tx_pps'])} |" + cells)
    missing = [r for r in refs if r not in byname]
    if missing:
        out += ['', f"Reference line(s) without a result in this run: {', '.join(missing)}."]
    return '\n'.join(out)


def portable(text):
    """Write paths relative to the repository and the interpreter by name, so reports name no machine paths."""
    return text.replace(REPO + '/', '').replace(REPO, '.').replace(sys.executable, 'python3')


def commands_list(summaries):
    md, seen_blast = [], set()
    for s in summaries:
        if s.get('command'):
            md.append(f"- {s['name']}: `{s['command']}`")
        if s.get('blast_command') and s['blast_command'] not in seen_blast:
            seen_blast.add(s['blast_command'])
            md.append(f"- sender ({s['mode']}): `{s['blast_command']}`")
    return md


def write_report(raw, label, baseline=None, ours_prefix='rawsock', refs=None):
    """Render results/<label>.md from a raw record (also used by --report)."""
    a = raw['args']
    machine = raw['machine']
    baseline = baseline or a.get('baseline')
    sinks = {s['name']: s.get('sink', False) for s in raw.get('summaries', [])}
    summaries = [summarize(name, runs, sinks.get(name, False)) for name, runs in raw['runs'].items()]
    if baseline and not any(s['name'] == baseline and is_receiver(s) for s in summaries):
        print(f'warning: baseline {baseline!r} has no successful receiver line in this run; no ratio column',
              file=sys.stderr)
    argv = raw.get('argv')
    md = [f'## {label}', '',
          f"count={a['count']} payload={a['size']}B batch={a['batch']} rate={a['rate'] or 'full (unpaced)'} runs={a['runs']} "
          f"(medians) port={a['port']} tx_cpu={a['tx_cpu']} rx_cpu={a['rx_cpu']}; "
          f"nproc={machine['nproc']} kernel={machine['kernel']} node={machine['node']} python={machine['python']}"
          + (f"; {raw['elapsed_s']:.0f}s" if raw.get('elapsed_s') else ''), '']
    if argv:
        md += ['Invocation: `' + ' '.join(shlex.quote(x) for x in argv) + '`', '']
    refs = refs if refs is not None else [r for r in (a.get('refs') or '').split(',') if r]
    if refs:
        md += [f'### {ours_prefix} against {" and ".join(refs)} (same sender, same run)', '',
               headline(summaries, ours_prefix, refs), '']
    else:
        md += [f'### {ours_prefix} vs peers (same sender, same run; medians)', '',
               ours_vs_peers(summaries, ours_prefix), '']
    md += ['### All receivers', '', markdown(summaries, baseline), '',
           'rx CPU ns/pkt: the receiver process\'s on-CPU time (all threads, schedstat) ÷ packets it received. '
           'Ratios divide the medians above. Method: bench/README.md.', '',
           'Commands:', ''] + commands_list(summaries)
    text = portable('\n'.join(md) + '\n')
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f'{label}.md'), 'w') as f:
        f.write(text)
    print()
    print(text)


# --------------------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--inner', help=argparse.SUPPRESS)
    ap.add_argument('--conf', action='append', default=[], metavar='FILE',
                    help='receivers file (several allowed; lines are run in file order)')
    ap.add_argument('--add', action='append', default=[], metavar='LINE',
                    help='extra receiver line (same format as receivers.conf); always run, also with --only')
    ap.add_argument('--only', help='comma-separated receiver names from the conf files (default: all)')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--baseline', metavar='NAME', help='receiver the ratio columns divide by (e.g. node-cap-64M)')
    ap.add_argument('--ours', default='rawsock', metavar='PREFIX',
                    help='name prefix of the lines compared with every peer in the summary table [rawsock]')
    ap.add_argument('--count', type=int, default=1000000)
    ap.add_argument('--size', type=int, default=64, help='UDP payload bytes')
    ap.add_argument('--batch', type=int, default=64, help='sendmmsg batch')
    ap.add_argument('--rate', type=int, default=0, help='target pps (0 = as fast as possible); see also --rates')
    ap.add_argument('--rates', metavar='LIST',
                    help='one pass per rate, e.g. full,100000,300000,max: full = unpaced, a number = pps, max = '
                         '95%% of the --max-ref line\'s full-rate sender pps (the highest rate the sender sustains '
                         'with a receiver that keeps up). A paced pass writes results/LABEL-paced-RATE.md')
    ap.add_argument('--max-ref', metavar='NAME', help='the line whose full-rate sender pps sets the max rate')
    ap.add_argument('--paced-runs', type=int, help='runs of each paced pass (default: --runs)')
    ap.add_argument('--paced-count', type=int, help='datagrams per run of a paced pass (default: --count)')
    ap.add_argument('--paced-only', metavar='PATTERNS',
                    help='comma-separated fnmatch patterns of the lines a paced pass runs (default: all)')
    ap.add_argument('--refs', metavar='NAMES',
                    help='comma-separated reference lines (e.g. tcpdump,c-afpacket-ring): the report opens with '
                         'every rawsock line\'s CPU ratio against each, instead of the all-peers table')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--port', type=int, default=9999)
    ap.add_argument('--tx-cpu', type=int, default=0)
    ap.add_argument('--rx-cpu', type=int, default=1)
    ap.add_argument('--settle', type=float, default=0.3)
    ap.add_argument('--max-drain', type=float, default=20.0)
    ap.add_argument('--ready-timeout', type=float, default=20.0)
    ap.add_argument('--blast-timeout', type=int, default=120)
    ap.add_argument('--run-timeout', type=int, default=240)
    ap.add_argument('--node-path', default=os.path.join(os.environ.get('BENCH_NPM_DIR', DEFAULT_NPM_DIR), 'node_modules'),
                    help='NODE_PATH for the receivers (where setup.sh put cap and unix-dgram)')
    ap.add_argument('--label', default=None, help='name for results/<label>.{md,raw.json}')
    ap.add_argument('--report', metavar='RAW_JSON', help='re-render results/<label>.md from a saved .raw.json, run nothing')
    return ap.parse_args()


def main():
    args = parse_args()

    if args.report:
        with open(args.report) as f:
            raw = json.load(f)
        label = args.label or raw.get('label') or os.path.basename(args.report).replace('.raw.json', '')
        write_report(raw, label, args.baseline, args.ours)
        return

    if args.inner:
        def _term(signum, frame):
            raise SystemExit(1)  # run the cleanup in inner()'s finally
        signal.signal(signal.SIGTERM, _term)
        inner(json.loads(args.inner))
        return

    if not args.conf and not args.add:
        sys.exit('give at least one --conf FILE (e.g. bench/capture/receivers.conf) or --add LINE; '
                 'bench/run.sh SUITE does this for you')
    # an --add line's {suite} is the folder of the first --conf, so it can be tried before it is added there
    add_conf = args.conf[0] if args.conf else None
    added = [r for r in (parse_receiver_line(l, add_conf) for l in args.add) if r]
    recs = select_receivers(load_receivers(args.conf), added, args.only)
    if args.list:
        for r in recs:
            print(f"{r['name']:24} {r['mode']:8} {'sink' if r['sink'] else '    '}  {r['cmd'] or '(sender alone)'}")
        return
    if args.baseline and args.baseline not in {r['name'] for r in recs}:
        sys.exit(f'--baseline {args.baseline!r} is not among the selected receivers; see --list')
    ensure_built()

    label = args.label or datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    if not args.rates:
        run_pass(recs, args, label)
        return
    full = None
    for token in [t.strip() for t in args.rates.split(',') if t.strip()]:
        if token == 'full':
            full = run_pass(recs, args, label, rate=0)
            continue
        rate = max_rate(recs, args, full, label) if token == 'max' else int(token)
        tag = 'max' if token == 'max' else (f'{rate // 1000}k' if rate % 1000 == 0 else str(rate))
        pats = [p.strip() for p in (args.paced_only or '*').split(',') if p.strip()]
        paced = [r for r in recs if any(fnmatch.fnmatchcase(r['name'], p) for p in pats)]
        run_pass(paced, args, f'{label}-paced-{tag}', rate=rate, runs=args.paced_runs or args.runs,
                 count=args.paced_count or args.count)


def run_pass(recs, args, label, rate=None, runs=None, count=None):
    """Every line `runs` times at one rate (interleaved), then results/<label>.{raw.json,md}.
    Returns the summaries."""
    a = argparse.Namespace(**vars(args))
    a.rate = args.rate if rate is None else rate
    a.runs = runs or args.runs
    a.count = count or args.count
    print(f"== {label}: {len(recs)} lines x {a.runs} runs x {a.count} datagrams, rate {a.rate or 'full'}", flush=True)
    t0 = time.time()
    allruns = run_all(recs, a)
    summaries = [summarize(r['name'], allruns[r['name']], r['sink']) for r in recs]
    raw = {'label': label, 'argv': sys.argv, 'elapsed_s': time.time() - t0, 'args': vars(a),
           'machine': machine_info(), 'runs': allruns, 'summaries': summaries}
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f'{label}.raw.json'), 'w') as f:
        json.dump(raw, f, indent=1)
    write_report(raw, label, args.baseline, args.ours)
    return summaries


def max_rate(recs, args, full, label):
    """95 % of the --max-ref line's median sender pps at full rate, rounded down to 10,000: the
    highest rate the sender sustains while a receiver keeps up. Taken from this invocation's full
    pass, else from the last full pass of the same label (results/LABEL.raw.json), else measured
    (3 runs of that line alone)."""
    ref = args.max_ref
    if not ref:
        sys.exit('--rates max needs --max-ref NAME')
    saved = os.path.join(RESULTS, f'{label}.raw.json')
    if full is None and os.path.exists(saved):
        with open(saved) as f:
            raw = json.load(f)
        if not raw['args'].get('rate') and ref in raw['runs']:
            full = [summarize(ref, raw['runs'][ref])]
            print(f'max rate: from the full pass in {portable(saved)}', flush=True)
    s = next((x for x in full or [] if x['name'] == ref and x.get('tx_pps')), None)
    if s is None:
        line = [r for r in recs if r['name'] == ref]
        if not line:
            sys.exit(f'--max-ref {ref!r} is not among the selected receivers')
        s = run_pass(line, args, f"{args.label or 'bench'}-max-calibration", rate=0, runs=3)[0]
    if not s.get('tx_pps'):
        sys.exit(f'--max-ref {ref!r} gave no sender rate')
    rate = int(0.95 * s['tx_pps']) // 10000 * 10000
    print(f"max rate: 95% of {ref}'s full-rate sender pps {s['tx_pps']:,.0f} -> {rate:,}", flush=True)
    return rate

if __name__ == '__main__':
    main()
