#!/usr/bin/env python3
"""Builds compare.sh's table from the results of one run.

    compare_table.py RESULTS_DIR MARKDOWN_OUT

RESULTS_DIR holds the Google Benchmark JSON files compare.sh wrote and
script-values.txt ("key value..." lines the script measured itself).
Prints the table as text and writes it as markdown. A row whose
measurement is missing says so instead of showing a number.
"""
import json
import os
import statistics
import sys
from datetime import datetime, timezone


def load_benchmarks(results, name):
    path = os.path.join(results, name + ".json")
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError:
        return {}
    return {b["name"]: b for b in data.get("benchmarks", []) if not b.get("error_occurred")}


def load_values(results):
    values = {}
    instructions = {}
    path = os.path.join(results, "script-values.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                words = line.split()
                if not words:
                    continue
                if words[0] == "instructions" and len(words) == 4:
                    instructions[(words[1], words[2])] = float(words[3])
                else:
                    values[words[0]] = words[1:]
    return values, instructions


class Results:
    def __init__(self, results):
        self.dir = results
        self.files = {}
        self.values, self.instructions = load_values(results)

    def counter(self, file, bench, counter):
        """A counter of one benchmark, or None if it did not run."""
        if file not in self.files:
            self.files[file] = load_benchmarks(self.dir, file)
        for name, b in self.files[file].items():
            if name.startswith(bench) and counter in b:
                return float(b[counter])
        return None

    def numbers(self, key):
        return [float(v) for v in self.values.get(key, [])]

    def ir(self, run, function):
        return self.instructions.get((run, function))


def median(values):
    return statistics.median(values) if values else None


def fmt(v, unit, digits=2, sign=False, per=1):
    """v / per in `unit` (per=1e3 shows a ns counter in us), or n/a if it did not run."""
    if v is None:
        return "n/a"
    if per != 1:
        v = v / per
    text = f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"
    return f"{text} {unit}".strip()


def undecided(ours, noise, target):
    """True when the noise floor measured in the same run is as large as
    the distance between the figure and its target: the run cannot tell."""
    return None not in (ours, noise) and abs(noise) >= abs(ours - target)


class Table:
    HEADER = ["figure", "ours", "baseline", "ratio / delta", "SPEC target", "result"]

    def __init__(self):
        self.rows = []

    def add(self, figure, ours, baseline, delta, target, ok):
        if ok is None:
            result = "n/a" if ours == "n/a" else "info"
        else:
            result = "pass" if ok else "FAIL"
        self.rows.append([figure, ours, baseline, delta, target, result])

    def text(self):
        widths = [max(len(r[i]) for r in self.rows + [self.HEADER]) for i in range(len(self.HEADER))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.HEADER, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in self.rows]
        return "\n".join(lines)

    def markdown(self):
        def cells(r):
            return "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"

        return "\n".join([cells(self.HEADER), "|" + "---|" * len(self.HEADER)] + [cells(r) for r in self.rows])


def idle_rows(r, t):
    for call, what in [("read_ebadf", "read(-1)"), ("recv_eagain", "recv, empty UDP"), ("send_eagain", "send, full TCP")]:
        bench = "BM_IdleCall/" + call
        ours = r.counter("idle_faultline", bench, "delta_ns")
        fiu = r.counter("idle_libfiu", bench, "delta_ns")
        bias = r.counter("idle_none", bench, "delta_ns")
        lo = r.counter("idle_faultline", bench, "delta_lo_ns")
        hi = r.counter("idle_faultline", bench, "delta_hi_ns")
        spread = f"slices {lo:+.2f}..{hi:+.2f}" if lo is not None else ""
        ratio = f"{ours / fiu * 100:.1f}% of libfiu's; " if ours is not None and fiu else ""
        t.add(f"Idle call, wrapper, {what} (paired in-process, wrapper -> libc; method bias {fmt(bias, 'ns', sign=True)})",
              fmt(ours, "ns", sign=True), "libfiu " + fmt(fiu, "ns", 1, sign=True), ratio + spread,
              "<= 2 ns over direct; below libfiu",
              None if ours is None else ours <= 2 and (fiu is None or ours < fiu))
        # Slices of the run that disagree about the target cannot tell.
        if ours is not None and lo is not None and lo <= 2 < hi:
            t.rows[-1][-1] = "noisy"

    # The whole process: read(-1) by name in a single-threaded program
    # started with the preload against one started without, in batches of
    # 1024 back-to-back calls (the steady cost, the target) and of 64 (each
    # batch after the worker's stdio work: partly cold).
    for batch, what in [(1024, "back to back"), (64, "batches of 64 after other work")]:
        b = f"BM_WholeProcess/{batch}/"
        none = r.counter("whole", b, "none_ns")
        ours = r.counter("whole", b, "faultline_delta_ns")
        fiu = r.counter("whole", b, "libfiu_delta_ns")
        control = r.counter("whole", b, "control_delta_ns")
        nothread = r.counter("whole", b, "faultline_nothread_delta_ns")
        libc = r.counter("whole", b, "faultline_libc_delta_ns")
        raw = r.counter("whole", b, "raw_delta_ns")
        raw_sleeper = r.counter("whole", b, "raw_sleeper_delta_ns")
        kernel = None if None in (raw, raw_sleeper) else raw_sleeper - raw
        t.add(f"Idle call, whole process: read(-1) in a 1-thread program started with vs without, {what}",
              fmt(ours, "ns", 1, sign=True), "libfiu " + fmt(fiu, "ns", 1, sign=True),
              f"{fmt(none, 'ns', 1)} without; noise floor {fmt(control, 'ns', 1, sign=True)}; "
              f"no apply thread {fmt(nothread, 'ns', 1, sign=True)}; libc's calls (FAULTLINE_DIRECT_SYSCALLS=0) "
              f"{fmt(libc, 'ns', 1, sign=True)}; the kernel's own cost of a sleeping 2nd thread (raw syscalls, "
              f"no preload) {fmt(kernel, 'ns', 1, sign=True)}", "<= 2 ns over direct" if batch == 1024 else "",
              (None if ours is None else ours <= 2) if batch == 1024 else None)
        if batch == 1024 and undecided(ours, control, 2):
            t.rows[-1][-1] = "noisy"


def instruction_rows(r, t):
    def per_call(run, call):
        d = r.ir(run, f"faultline_loop_{call}_direct")
        i = r.ir(run, f"faultline_loop_{call}_interposed")
        return None if None in (d, i) else (i - d, d)

    ours = per_call("faultline_idle", "read_ebadf")
    fiu = per_call("libfiu_idle", "read_ebadf")
    t.add("Idle call, instructions added, read(-1) (callgrind: deterministic)",
          "n/a" if ours is None else f"+{ours[0]:.0f} instr", "n/a" if fiu is None else f"libfiu +{fiu[0]:.0f} instr",
          "" if ours is None else f"direct read: {ours[1]:.0f} instr", "(<= 2 ns)", None)
    single = r.ir("none_idle", "faultline_loop_read_ebadf_direct")
    direct = r.ir("faultline_direct", "faultline_loop_read_ebadf_interposed")
    t.add("Instructions of read(-1) under the preload in a 1-thread program (direct call) vs libc's without it",
          "n/a" if None in (single, direct) else f"{direct - single:+.0f} instr",
          "n/a" if single is None else f"{single:.0f} instr", "", "(<= 2 ns)", None)
    multi = r.ir("faultline_idle", "faultline_loop_read_ebadf_direct")
    t.add("libc's own read(-1) once the apply thread exists (glibc's multi-threaded cancellation path)",
          "n/a" if None in (single, multi) else f"+{multi - single:.0f} instr",
          "n/a" if single is None else f"{single:.0f} instr single-threaded", "", "(<= 2 ns)", None)
    for mode, what in [("armed", "armed, not matched"), ("telemetry", "telemetry on")]:
        for call in ("send_eagain", "recv_eagain"):
            v = per_call("faultline_" + mode, call)
            t.add(f"Instructions added, {what}, {call.split('_')[0]} (callgrind)",
                  "n/a" if v is None else f"+{v[0]:.0f} instr", "", "", "(<= 20 ns)" if mode == "armed" else "", None)


def pingpong_rows(r, t):
    b = "BM_UdpPingPong"
    none = r.counter("pingpong", b, "none_p50_us")
    control = r.counter("pingpong", b, "control_p50_delta_pct")
    for lane, what in [("faultline", "idle preload vs none"), ("faultline_nothread", "wrappers only (no apply thread)")]:
        ours = r.counter("pingpong", b, lane + "_p50_delta_pct")
        fiu = r.counter("pingpong", b, "libfiu_p50_delta_pct")
        t.add(f"UDP ping-pong p50, {what} (none: {fmt(none, 'us')})", fmt(ours, "%", sign=True),
              "libfiu " + fmt(fiu, "%", sign=True), "noise floor " + fmt(control, "%", sign=True),
              "<= 1% on p50", None if ours is None else ours <= 1)
        if undecided(ours, control, 1):
            t.rows[-1][-1] = "noisy"
    ours = r.counter("pingpong", b, "faultline_p99_us")
    t.add("UDP ping-pong p99", fmt(ours, "us", 1), "none " + fmt(r.counter("pingpong", b, "none_p99_us"), "us", 1),
          "libfiu " + fmt(r.counter("pingpong", b, "libfiu_p99_us"), "us", 1), "", None)


def armed_rows(r, t):
    for call, what in [("send_eagain", "send, full TCP"), ("recv_eagain", "recv, empty UDP"), ("read_ebadf", "read(-1)")]:
        b = "BM_ModeCost/" + call
        armed = r.counter("armed", b, "armed_delta_ns")
        idle = r.counter("armed", b, "idle_delta_ns")
        t.add(f"Armed, call not matched, {what}", fmt(armed, "ns", 1, sign=True), "idle " + fmt(idle, "ns", 1, sign=True),
              f"direct {fmt(r.counter('armed', b, 'direct_ns'), 'ns', 0)}", "<= 20 ns over direct",
              None if armed is None else armed <= 20)
    for call in ("send_eagain", "recv_eagain"):
        b = "BM_ModeCost/" + call
        t.add(f"Telemetry recording on, {call.split('_')[0]}", fmt(r.counter("armed", b, "telemetry_delta_ns"), "ns", 1, sign=True),
              "off " + fmt(r.counter("armed", b, "idle_delta_ns"), "ns", 1, sign=True), "", "", None)


def command_rows(r, t):
    p99 = r.counter("command", "BM_CommandToEffect", "applied_p99_us")
    fiu99 = r.counter("command", "BM_CommandToEffect", "libfiu_reply_p99_us")
    t.add("Command to effect p99 (submit -> plan published in the idle target)", fmt(p99, "us", 1),
          "libfiu pipe reply " + fmt(fiu99, "us", 1),
          f"p50 {fmt(r.counter('command', 'BM_CommandToEffect', 'applied_p50_us'), 'us', 1)} vs "
          f"{fmt(r.counter('command', 'BM_CommandToEffect', 'libfiu_reply_p50_us'), 'us', 1)}; this machine's "
          f"floor, a bare futex wake-up of a sleeping process: p99 "
          f"{fmt(r.counter('command', 'BM_CommandToEffect', 'futex_wake_p99_us'), 'us', 1)}, p50 "
          f"{fmt(r.counter('command', 'BM_CommandToEffect', 'futex_wake_p50_us'), 'us', 1)}",
          "p99 <= 50 us", None if p99 is None else p99 <= 50)
    t.add("Command acknowledged, seen by the client (Client::wait_ack) p99",
          fmt(r.counter("command", "BM_CommandToEffect", "ack_seen_p99_us"), "us", 1),
          "libfiu pipe reply " + fmt(fiu99, "us", 1),
          "p50 " + fmt(r.counter("command", "BM_CommandToEffect", "ack_seen_p50_us"), "us", 1), "", None)
    ours = median(r.numbers("faultline_cli_us"))
    fiu = median(r.numbers("fiu_ctrl_cli_us"))
    t.add("One command from the CLI, process start included, p50", fmt(ours, "ms", per=1e3),
          "fiu-ctrl " + fmt(fiu, "ms", per=1e3), "", "", None)


# The delays (ns) the delay benchmarks run, as the table names them.
DELAYS = [(20_000, "20 us"), (1_000_000, "1 ms"), (10_000_000, "10 ms"), (200_000_000, "200 ms")]


def delay_rows(r, t):
    pings = {20_000: 300, 1_000_000: 100, 10_000_000: 20, 200_000_000: 4}
    for delay, label in DELAYS:
        bench = f"BM_InjectedDelay/{delay}/{pings[delay]}/0/"
        ours = r.counter("pingpong", bench, "injected_error_p50_us")
        sleep = r.counter("pingpong", bench, "nanosleep_error_p50_us")
        rtt = r.counter("pingpong", bench, "injected_rtt_error_p50_us")
        cold = r.counter("pingpong", bench, "injected_sendto_p50_us")
        t.add(f"Injected delay {label}, in the calling thread (FAULTLINE_DELAY_LINE=0), median error as the UDP "
              "client's sendto saw it", fmt(ours, "us", sign=True),
              "nanosleep " + fmt(sleep, "us", sign=True),
              f"net of a sendto after the client's own precise wait ({fmt(cold, 'us', 1)}); whole RTT: {fmt(rtt, 'us', 1, sign=True)}",
              "median error <= 2 us", None if ours is None else abs(ours) <= 2)
    for delay, label in DELAYS:
        bench = f"BM_InjectedDelay/{delay}/{pings[delay]}/1/"
        ours = r.counter("pingpong", bench, "injected_error_p50_us")
        sleep = r.counter("pingpong", bench, "nanosleep_rtt_error_p50_us")
        precise = r.counter("pingpong", bench, "precise_rtt_error_p50_us")
        # Info, not judged: the reference sends cold after its pause, the
        # line's engine warms its send path first (delay_engine.cpp), and
        # both round trips hold the client's wake-up after a long block.
        t.add(f"Injected delay {label}, through the delay line (default), median round trip against the client's "
              "own precise wait of the same delay", fmt(ours, "us", sign=True),
              "nanosleep RTT " + fmt(sleep, "us", sign=True),
              f"the precise wait's own RTT error {fmt(precise, 'us', 1, sign=True)}", "", None)
    for delay, label in DELAYS:
        bench = f"BM_DelayLineDelivery/{delay}/"
        ours = r.counter("delay_line", bench, "line_p50_ns")
        sleep = r.counter("delay_line", bench, "nanosleep_p50_ns")
        hot = r.counter("delay_line", bench, "hot_transit_p50_ns")
        t.add(f"Delay line {label}, median delivery error at a spinning receiver, net of an undelayed warm "
              "transit (bench_delay_line)",
              fmt(ours, "us", 1, per=1e3),
              "nanosleep " + fmt(sleep, "us", 1, per=1e3),
              f"p99 {fmt(r.counter('delay_line', bench, 'line_p99_ns'), 'us', 1, per=1e3)}; "
              f"transit {fmt(hot, 'us', 1, per=1e3)}",
              "median error <= 2 us", None if ours is None else abs(ours) <= 2000)
    for delay, label in DELAYS:
        bench = f"BM_WakeError/{delay}/"
        ours = r.counter("precise_wait", bench, "precise_median_ns")
        sleep = r.counter("precise_wait", bench, "nanosleep_median_ns")
        t.add(f"Precise wait primitive {label}, median wake error (bench_precise_wait)",
              fmt(ours, "us", 3, per=1e3), "nanosleep " + fmt(sleep, "us", 1, per=1e3),
              "", "median error <= 2 us", None if ours is None else ours <= 2000)


def memory_rows(r, t):
    for program, what in [("udp_echo", "udp_echo (C++)"), ("sleep", "/bin/sleep (C)")]:
        b = "BM_ResidentMemory/" + program
        rss = r.counter("memory", b, "faultline_added_rss_kib")
        t.add(f"Resident memory added, idle {what}", fmt(rss, "MiB", per=1024),
              "libfiu " + fmt(r.counter("memory", b, "libfiu_added_rss_kib"), "MiB", per=1024),
              "Pss " + fmt(r.counter("memory", b, "faultline_added_pss_kib"), "MiB", per=1024),
              "<= 2 MiB", None if rss is None else rss <= 2048)
    seg = r.counter("memory", "BM_ResidentMemory/udp_echo", "segment_kib")
    res = r.counter("memory", "BM_ResidentMemory/udp_echo", "segment_resident_kib")
    t.add("Segment size", fmt(seg, "MiB", per=1024), "", "resident " + fmt(res, "MiB", per=1024),
          "<= 4 MiB", None if seg is None else seg <= 4096)


def pgbench_rows(r, t):
    none = r.numbers("pgbench_tps_none")
    control = r.numbers("pgbench_tps_control")
    ours = r.numbers("pgbench_tps_faultline")
    figure = "libpq idle: pgbench -S throughput, preload vs none (median of paired rounds)"
    if not none or len(none) != len(ours) or 0 in none:
        t.add(figure, "n/a", "", "", ">= 99%", None)
        return
    ratios = [o / n * 100 for o, n in zip(ours, none)]
    m = statistics.median(ratios)
    noise = statistics.median([c / n * 100 for c, n in zip(control, none)]) - 100 if len(control) == len(none) else None
    t.add(figure, f"{m:.1f} %", f"{statistics.median(none):.0f} tps without",
          "noise floor " + fmt(noise, "%", 1, sign=True), ">= 99%", m >= 99)
    if undecided(m - 100, noise, -1):
        t.rows[-1][-1] = "noisy"


def main():
    results, markdown_out = sys.argv[1], sys.argv[2]
    source_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shown_results = os.path.relpath(os.path.abspath(results), source_root)
    r = Results(results)
    t = Table()
    idle_rows(r, t)
    instruction_rows(r, t)
    pingpong_rows(r, t)
    armed_rows(r, t)
    command_rows(r, t)
    delay_rows(r, t)
    memory_rows(r, t)
    pgbench_rows(r, t)

    v = r.values
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    about = (f"{when}, commit {' '.join(v.get('commit', ['?']))}, {' '.join(v.get('cpus', ['?']))} CPUs, "
             f"load average {' '.join(v.get('load_start', ['?']))} at the start, "
             f"{' '.join(v.get('load_end', ['?']))} at the end")
    print(t.text())
    print()
    print(about)
    with open(markdown_out, "w") as f:
        f.write("# faultline performance, side by side\n\n")
        f.write(f"Measured by `benchmarks/compare.sh` on {about}. ")
        f.write("Ours is libfaultline.so; the baseline is the same measurement without a preload or with libfiu's "
                f"POSIX preload (`fiu-run -x`: nothing enabled), in the same run. Raw results: `{shown_results}`.\n\n")
        f.write(t.markdown() + "\n")


if __name__ == "__main__":
    main()
