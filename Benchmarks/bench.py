#!/usr/bin/env python3
"""Intake benchmark driver. Called by `Benchmarks/run` (which installs, builds and passes
--binary); standard library only. See Benchmarks/README.md for what each scenario measures.

    python3 Benchmarks/bench.py --binary PATH [--quick] [--scenario NAME[,NAME]] [--reps N]
                                [--compare OLD.json] [--no-run] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
DATA = OUT / "data"
RUNS = OUT / "runs"
GENERATOR = BENCH / "generate_claims.py"
PYREF = BENCH / "ref_python_loader.py"

SCENARIOS = ("bulk-csv", "memory", "small-files", "xml", "queue", "status")

# Sizes per mode. `--quick` is for checking that the harness works, not for numbers to quote.
MODES = {
    "full": dict(reps=3, bulk_rows=1_000_000, memory_bytes=[1_000_000_000, 2_000_000_000],
                 small_files=10_000, small_reps=1, xml_claims=100_000, queue_jobs=100_000, status_jobs=1_000_000,
                 latency_samples=50),
    "quick": dict(reps=2, bulk_rows=200_000, memory_bytes=[1_000_000_000],
                  small_files=1_000, small_reps=1, xml_claims=20_000, queue_jobs=2_000, status_jobs=100_000,
                  latency_samples=20),
}
BAD_SHARE = 0.01
PARTNER = "acme"
SMALL_PARTNERS = [f"partner-{i:02d}" for i in range(1, 21)]
SMALL_ROWS = 10

# Targets from issue 7 (reported, never enforced).
TARGETS = {
    ("bulk-csv", "sqlite3-import"): 1.0,
    ("bulk-csv", "python-loader"): 5.0,
    ("xml", "python-iterparse"): 5.0,
}
RSS_TARGET_MB = 64
SMALL_FILES_TARGET = 200.0  # files/s


def log(msg: str) -> None:
    print(f"  .. {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Measuring one process


class Measured:
    def __init__(self, seconds: float, rss_kb: int, rc: int, timed_out: bool, rss_capped: bool = False,
                 cpu_s: float = 0.0, other_cpu_s: float = 0.0):
        self.seconds, self.rss_kb, self.rc, self.timed_out = seconds, rss_kb, rc, timed_out
        self.rss_capped, self.cpu_s, self.other_cpu_s = rss_capped, cpu_s, other_cpu_s

    def failure(self, timeout: float | None = None) -> str:
        """Why the process did not finish normally ("" when it did)."""
        if self.rss_capped:
            return f"killed: resident memory passed the {RSS_CAP_MB:,} MB cap (--rss-cap-mb) after {self.seconds:.0f} s"
        if self.timed_out:
            return f"killed after {timeout or self.seconds:.0f} s (time limit)"
        return ""


# A subject whose resident memory passes this is killed and reported FAILED, so that a leak in the
# memory scenario cannot push a shared machine into swap or the OOM killer.
RSS_CAP_MB = 4096


def rss_mb_of(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def watch_rss(p: subprocess.Popen, flag: threading.Event, stop: threading.Event, seen: list | None = None) -> None:
    """Kills `p`'s child (the measured process under GNU time) when it passes RSS_CAP_MB; keeps
    the largest resident size it saw in `seen[0]` (MB), a fallback for GNU time's number."""
    while not stop.wait(0.25):
        for pid in child_pids(p.pid):
            rss = rss_mb_of(pid)
            if seen is not None and rss > seen[0]:
                seen[0] = rss
            if rss > RSS_CAP_MB:
                flag.set()
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return


TIME = "/usr/bin/time"  # GNU time (Debian package `time`), installed by Benchmarks/run


def timed_cmd(cmd: list, rss_file: Path) -> list[str]:
    """`cmd` under GNU time, which writes the peak RSS (KiB) of the process into `rss_file`.

    Why not wait4(2)'s rusage here: a child spawned by this Python process inherits Python's
    resident size as its starting high-water mark (the kernel records the old address space at
    exec), so a 4 MB sqlite3 would show as 14-40 MB. GNU time forks from a small process."""
    return [TIME, "-f", "BENCH %M %U %S", "-o", str(rss_file), *(str(c) for c in cmd)]


def read_time(rss_file: Path) -> tuple[int, float]:
    """(peak RSS KiB, user+system CPU seconds) from GNU time's output file."""
    try:
        for line in rss_file.read_text().splitlines()[::-1]:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "BENCH":
                return int(parts[1]), float(parts[2]) + float(parts[3])
    except (OSError, ValueError):
        pass
    return 0, 0.0


def read_rss(rss_file: Path) -> int:
    return read_time(rss_file)[0]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK  # user nice system irq softirq steal
    except (OSError, ValueError, IndexError):
        return 0.0


def self_cpu() -> float:
    t = os.times()
    return t.user + t.system


class Contention:
    """CPU that neither the measured process nor this driver used while it ran: other work on the
    machine (a build, a test suite), which skews the numbers."""

    def __init__(self):
        self.b0, self.h0 = machine_busy(), self_cpu()

    def other(self, subject_cpu: float) -> float:
        return max(0.0, machine_busy() - self.b0 - (self_cpu() - self.h0) - subject_cpu)


def measure(cmd: list, *, stdin: Path | None = None, stdout: Path | None = None,
            stderr: Path | None = None, timeout: float | None = None, cwd: Path | None = None,
            env: dict | None = None) -> Measured:
    """Runs `cmd`, timing it from spawn to exit (wall clock); peak RSS from GNU time ("Maximum
    resident set size" of /usr/bin/time -v)."""
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL
    ferr = open(stderr, "wb") if stderr else subprocess.DEVNULL
    rss_file = RUNS / f".rss-{os.getpid()}-{threading.get_ident()}"
    RUNS.mkdir(parents=True, exist_ok=True)
    timed_out = threading.Event()
    contention = Contention()
    try:
        t0 = time.perf_counter()
        p = subprocess.Popen(timed_cmd(cmd, rss_file), stdin=fin, stdout=fout, stderr=ferr, cwd=cwd, env=env)
        capped, watching, seen = threading.Event(), threading.Event(), [0.0]
        watcher = threading.Thread(target=watch_rss, args=(p, capped, watching, seen), daemon=True)
        watcher.start()
        timer = None
        if timeout:
            def kill():
                timed_out.set()
                for pid in child_pids(p.pid) + [p.pid]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            timer = threading.Timer(timeout, kill)
            timer.start()
        p.wait()
        seconds = time.perf_counter() - t0
        watching.set()
        if timer:
            timer.cancel()
    finally:
        for f in (fin, fout, ferr):
            if f is not subprocess.DEVNULL:
                f.close()
    rss, cpu = read_time(rss_file)
    rss = rss or int(seen[0] * 1024)
    rss_file.unlink(missing_ok=True)
    return Measured(seconds, rss, p.returncode, timed_out.is_set(), capped.is_set(), cpu, contention.other(cpu))


def proc_cpu(pid: int | None) -> float:
    """user+system CPU seconds of a running process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, ValueError, IndexError, TypeError):
        return 0.0


def child_pids(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def sqlite_scalar(db: Path, sql: str) -> str:
    r = subprocess.run(["sqlite3", str(db), sql], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"sqlite3 {db.name}: {r.stderr.strip()}")
    return r.stdout.strip()


def tail(path: Path, n: int = 3) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(lines[-n:])[:300]


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def place(src: Path, dst: Path) -> None:
    """Puts a data file into an inbox without copying its bytes (hard link, same filesystem)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def warm(path: Path) -> None:
    """Reads a file once so every subject starts with it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# ---------------------------------------------------------------------------------------------
# Data (deterministic; cached in out/data/ and rebuilt when the generator or its arguments change)


def generator_digest() -> str:
    return hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:16]


def ensure_claims(name: str, args: list) -> tuple[Path, dict]:
    """Generates out/data/NAME (+ .expected.json) with generate_claims.py unless cached."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / name
    expected = DATA / (name + ".expected.json")
    meta = DATA / (name + ".meta.json")
    want = {"args": args, "generator": generator_digest()}
    if path.exists() and expected.exists() and meta.exists():
        try:
            if json.loads(meta.read_text()) == want:
                return path, load_expected(expected)
        except ValueError:
            pass
    log(f"generating {name}: generate_claims.py {' '.join(args)}")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(GENERATOR), *args, "--quiet", "--out", str(path),
                    "--expected", str(expected)], check=True)
    meta.write_text(json.dumps(want))
    info = load_expected(expected)
    log(f"generated {name}: {info['rows']:,} rows ({info['rows'] - info['good_rows']:,} bad), "
        f"{path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s")
    return path, info


def load_expected(path: Path) -> dict:
    d = json.loads(path.read_text())
    return {"rows": d["rows"], "good_rows": d["good_rows"]}


def split_records(data: bytes):
    """Splits CSV bytes (after the header) into records: a record ends at a newline outside
    quotes (RFC 4180: an even number of quote characters so far)."""
    start = 0
    quotes = 0
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        if nl < 0:
            nl = n - 1
        quotes += data.count(b'"', pos, nl + 1)
        pos = nl + 1
        if quotes % 2 == 0:
            yield data[start:pos]
            start = pos
            quotes = 0


def ensure_small_files(count: int) -> tuple[Path, int]:
    """out/data/small-files-N/<partner>/<partner>-NNNN.csv: COUNT files of SMALL_ROWS records over
    the 20 partners. One generator run per partner (its own seed, --partner), cut into files of
    SMALL_ROWS records each, every file with the header: partner_id matches the folder and no
    two files have the same bytes."""
    per = count // len(SMALL_PARTNERS)
    root = DATA / f"small-files-{count}"
    meta = DATA / f"small-files-{count}.meta.json"
    want = {"per_partner": per, "rows": SMALL_ROWS, "partners": SMALL_PARTNERS, "generator": generator_digest(),
            "seed_base": 5000}
    if root.exists() and meta.exists():
        try:
            if json.loads(meta.read_text()) == want:
                return root, per * len(SMALL_PARTNERS)
        except ValueError:
            pass
    log(f"generating {per * len(SMALL_PARTNERS):,} small files of {SMALL_ROWS} rows over {len(SMALL_PARTNERS)} partners")
    fresh_dir(root)
    for i, partner in enumerate(SMALL_PARTNERS):
        r = subprocess.run([sys.executable, str(GENERATOR), "--rows", str(per * SMALL_ROWS), "--seed", str(5000 + i),
                            "--partner", partner, "--quiet"], check=True, capture_output=True)
        data = r.stdout
        head_end = data.index(b"\n") + 1
        header = data[:head_end]
        pdir = root / partner
        pdir.mkdir()
        chunk: list[bytes] = []
        k = 0
        for rec in split_records(data[head_end:]):
            chunk.append(rec)
            if len(chunk) == SMALL_ROWS:
                k += 1
                (pdir / f"{partner}-{k:05d}.csv").write_bytes(header + b"".join(chunk))
                chunk = []
        if k != per or chunk:
            raise RuntimeError(f"small files for {partner}: cut {k} files, expected {per}")
    digests = set()
    for f in root.rglob("*.csv"):
        digests.add(hashlib.sha256(f.read_bytes()).digest())
    if len(digests) != per * len(SMALL_PARTNERS):
        raise RuntimeError("small files: two files have the same bytes")
    meta.write_text(json.dumps(want))
    return root, per * len(SMALL_PARTNERS)


# ---------------------------------------------------------------------------------------------
# Results


class Row:
    """One line of the table: a subject in a scenario."""

    def __init__(self, scenario: str, subject: str, *, unit: str = "rows", count: int = 0,
                 reference: bool = False):
        self.scenario, self.subject, self.unit, self.count = scenario, subject, unit, count
        self.reference = reference
        self.runs: list[dict] = []
        self.status = "ok"          # ok | FAILED | not-available
        self.note = ""
        self.ratios: dict[str, float] = {}
        self.extra: dict = {}

    def add(self, seconds: float, rss_kb: int, ok: bool, error: str = "", **extra) -> None:
        self.runs.append({"seconds": round(seconds, 4), "peak_rss_kb": rss_kb, "ok": ok, "error": error, **extra})
        if not ok:
            self.status = "FAILED"

    def add_measured(self, m: "Measured", ok: bool, error: str = "", **extra) -> None:
        self.add(m.seconds, m.rss_kb, ok, error, cpu_s=round(m.cpu_s, 3), other_cpu_s=round(m.other_cpu_s, 3), **extra)

    @property
    def other_load(self) -> float | None:
        """Share of the machine's CPU used by other processes during this row's runs."""
        runs = [r for r in self.runs if "other_cpu_s" in r]
        wall = sum(r["seconds"] for r in runs) * (os.cpu_count() or 1)
        return sum(r["other_cpu_s"] for r in runs) / wall if wall else None

    @property
    def good(self) -> list[dict]:
        return [r for r in self.runs if r["ok"]]

    @property
    def median(self) -> float | None:
        return statistics.median(r["seconds"] for r in self.runs) if self.status == "ok" and self.runs else None

    @property
    def rate(self) -> float | None:
        m = self.median
        return self.count / m if m and self.count else None

    @property
    def rss_mb(self) -> float | None:
        vals = [r["peak_rss_kb"] for r in self.runs if r.get("peak_rss_kb")]
        return max(vals) / 1024 if vals else None

    def errors(self) -> str:
        errs = [r["error"] for r in self.runs if not r["ok"]]
        return f"{len(errs)}/{len(self.runs)} runs failed: {errs[0]}" if errs else ""

    def to_json(self) -> dict:
        m = self.median
        return {
            "scenario": self.scenario, "subject": self.subject, "reference": self.reference,
            "status": self.status, "unit": self.unit, "count": self.count,
            "median_s": m, "min_s": min((r["seconds"] for r in self.runs), default=None) if m else None,
            "max_s": max((r["seconds"] for r in self.runs), default=None) if m else None,
            "rate_per_s": self.rate, "peak_rss_mb": self.rss_mb, "ratios": self.ratios,
            "note": self.note or self.errors(), "other_load": self.other_load, "runs": self.runs, **self.extra,
        }


def not_available(scenario: str, subject: str, needs: str) -> Row:
    row = Row(scenario, subject)
    row.status = "not-available"
    row.note = f"not available yet: needs {needs}"
    return row


def fmt_rate(rate: float | None, unit: str) -> str:
    if rate is None:
        return "-"
    return f"{rate:,.0f} {unit}/s" if rate >= 100 else f"{rate:,.1f} {unit}/s"


def set_ratios(rows: list[Row]) -> None:
    """Each subject's throughput divided by each reference's (>1: faster than the reference)."""
    refs = [r for r in rows if r.reference and r.median]
    for row in rows:
        if not row.median:
            continue
        for ref in refs:
            if ref is not row:
                row.ratios[ref.subject] = ref.median / row.median * (row.count / ref.count if ref.count else 1)


def render_table(rows: list[Row]) -> str:
    head = ["scenario", "subject", "runs", "median s", "min-max s", "rate", "peak RSS MB", "vs references", "note"]
    lines = []
    for r in rows:
        if r.status == "not-available":
            lines.append([r.scenario, r.subject, "-", "-", "-", "-", "-", "-", r.note])
            continue
        if r.status == "FAILED":
            lines.append([r.scenario, r.subject, str(len(r.runs)), "FAILED", "-", "-",
                          f"{r.rss_mb:.1f}" if r.rss_mb else "-", "-", r.note or r.errors()])
            continue
        secs = [x["seconds"] for x in r.runs]
        rate = r.extra.get("rate_text") or fmt_rate(r.rate, r.unit)
        load = r.other_load
        if load is not None and load >= 0.05:
            r.note = (r.note + "; " if r.note else "") + f"other processes used {load:.0%} of the CPU"
        vs = ", ".join(f"{v:.2f}x {k}" for k, v in r.ratios.items()) or "-"
        lines.append([r.scenario, r.subject, str(len(r.runs)), f"{r.median:.3f}" if r.median < 1 else f"{r.median:.2f}",
                      f"{min(secs):.3f}-{max(secs):.3f}" if max(secs) < 1 else f"{min(secs):.2f}-{max(secs):.2f}", rate, f"{r.rss_mb:.1f}" if r.rss_mb else "-", vs, r.note])
    widths = [max(len(h), *(len(l[i]) for l in lines)) if lines else len(h) for i, h in enumerate(head)]
    right = {2, 3, 4, 5, 6}

    def fmt(cells):
        return " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt(head), sep, *(fmt(l) for l in lines)])


# ---------------------------------------------------------------------------------------------
# Subjects


BULK_CONFIG = ('{ settle_seconds: 0, poll_interval_seconds: 0.05, partners: { acme: { feeds: [ '
               '{ name: "claims", pattern: "*.csv", error_policy: "skip_rows" } ] } } }\n')
XML_CONFIG = ('{ settle_seconds: 0, poll_interval_seconds: 0.05, partners: { acme: { feeds: [ '
              '{ name: "claims", pattern: "*.xml", format: "xml", error_policy: "skip_rows" } ] } } }\n')

CLAIM_COLUMNS = ("claim_id", "line_no", "partner_id", "patient_id", "patient_last", "patient_first", "dob",
                 "payer_id", "payer_name", "billing_npi", "hcpcs", "modifiers", "icd10", "dos_from", "dos_to",
                 "units", "charge_amount", "notes")


class Ctx:
    def __init__(self, binary: Path, logs: Path, keep: bool):
        self.binary, self.logs, self.keep = binary, logs, keep

    def done_with(self, run_dir: Path) -> None:
        if not self.keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def run_intake_once(ctx: Ctx, data: Path, info: dict, tag: str, config: str = BULK_CONFIG) -> tuple[Measured, bool, str]:
    """A fresh spool, the file in inbox/acme/, `intake --spool S run --once`, timed as one
    process; then the loaded count must equal the generator's good rows."""
    run_dir = fresh_dir(RUNS / tag)
    spool = run_dir / "spool"
    (spool / "inbox" / PARTNER).mkdir(parents=True)
    (spool / "intake.json5").write_text(config)
    place(data, spool / "inbox" / PARTNER / data.name)
    logf = ctx.logs / f"{tag}.log"
    timeout = 120 + data.stat().st_size / 1e6  # at least 1 MB/s
    m = measure([ctx.binary, "--spool", spool, "run", "--once"], stderr=logf, timeout=timeout)
    ok, err = True, ""
    if m.failure():
        ok, err = False, m.failure(timeout)
    elif m.rc != 0:
        ok, err = False, f"exit {m.rc}: {tail(logf)}"
    else:
        try:
            loaded = int(sqlite_scalar(spool / "intake.sqlite", "select count(*) from service_lines"))
            if loaded != info["good_rows"]:
                ok, err = False, f"loaded {loaded:,} rows, expected {info['good_rows']:,}"
        except (RuntimeError, ValueError) as e:
            ok, err = False, f"count failed: {e}"
    ctx.done_with(run_dir)
    return m, ok, err


def run_sqlite_import(ctx: Ctx, data: Path, info: dict, tag: str) -> tuple[Measured, bool, str]:
    """sqlite3 CLI `.import --csv --skip 1` into a bare table of 18 TEXT columns, fresh database,
    default settings (rollback journal, synchronous=FULL)."""
    run_dir = fresh_dir(RUNS / tag)
    db = run_dir / "import.db"
    script = run_dir / "import.sql"
    cols = ", ".join(f"{c} TEXT" for c in CLAIM_COLUMNS)
    script.write_text(f"CREATE TABLE claims_import({cols});\n.import --csv --skip 1 {data} claims_import\n")
    logf = ctx.logs / f"{tag}.log"
    m = measure(["sqlite3", db], stdin=script, stderr=logf, timeout=600)
    ok, err = True, ""
    if m.rc != 0 or m.failure():
        ok, err = False, m.failure() or f"exit {m.rc}: {tail(logf)}"
    else:
        n = int(sqlite_scalar(db, "select count(*) from claims_import"))
        if n != info["rows"]:
            ok, err = False, f"imported {n:,} rows, expected {info['rows']:,}"
    ctx.done_with(run_dir)
    return m, ok, err


def run_python_loader(ctx: Ctx, data: Path, info: dict, tag: str, xml: bool = False) -> tuple[Measured, bool, str]:
    run_dir = fresh_dir(RUNS / tag)
    db = run_dir / "loader.db"
    out = run_dir / "out.json"
    logf = ctx.logs / f"{tag}.log"
    cmd = [sys.executable, PYREF, "--db", db, "--partner", PARTNER] + (["--xml"] if xml else []) + [data]
    m = measure(cmd, stdout=out, stderr=logf, timeout=120 + data.stat().st_size / 2e5)
    ok, err = True, ""
    if m.rc != 0 or m.failure():
        ok, err = False, m.failure() or f"exit {m.rc}: {tail(logf)}"
    else:
        n = int(sqlite_scalar(db, "select count(*) from service_lines"))
        if n != info["good_rows"]:
            ok, err = False, f"loaded {n:,} rows, expected {info['good_rows']:,}"
    ctx.done_with(run_dir)
    return m, ok, err


def alternate(ctx: Ctx, scenario: str, rows: list[Row], runners: list, reps: int) -> None:
    """Runs every subject once per repetition, rotating the order each repetition (A B C, B C A, ...)."""
    for rep in range(reps):
        k = rep % len(rows)
        order = list(range(len(rows)))[k:] + list(range(len(rows)))[:k]
        for i in order:
            row, runner = rows[i], runners[i]
            tag = f"{scenario}-{row.subject.split()[0]}-{rep + 1}"
            m, ok, err = runner(tag)
            row.add_measured(m, ok, err)
            rate = f", {row.count / m.seconds:,.0f} {row.unit}/s" if ok and row.count else ""
            log(f"{scenario} rep {rep + 1}/{reps} {row.subject}: {m.seconds:.2f} s{rate}, "
                f"peak RSS {m.rss_kb / 1024:.1f} MB{'' if ok else ' FAILED: ' + err}")


# ---------------------------------------------------------------------------------------------
# Scenarios


def bulk_file(mode: dict) -> tuple[Path, dict]:
    n = mode["bulk_rows"]
    return ensure_claims(f"claims-{n}.csv", ["--rows", str(n), "--seed", "7", "--bad-share", str(BAD_SHARE),
                                              "--partner", PARTNER])


def scenario_bulk_csv(ctx: Ctx, mode: dict, reps: int, state: dict) -> list[Row]:
    data, info = bulk_file(mode)
    warm(data)
    n = info["rows"]
    rows = [Row("bulk-csv", "intake run --once", count=n),
            Row("bulk-csv", "sqlite3-import", count=n, reference=True),
            Row("bulk-csv", "python-loader", count=n, reference=True)]
    runners = [lambda tag: run_intake_once(ctx, data, info, tag),
               lambda tag: run_sqlite_import(ctx, data, info, tag),
               lambda tag: run_python_loader(ctx, data, info, tag)]
    alternate(ctx, "bulk-csv", rows, runners, reps)
    set_ratios(rows)
    intake = rows[0]
    notes = [f"{n:,} rows, {data.stat().st_size / 1e6:.0f} MB, {n - info['good_rows']:,} bad"]
    if intake.median:
        for (sc, ref), target in TARGETS.items():
            if sc == "bulk-csv" and ref in intake.ratios:
                notes.append(f">={target:g}x {ref}: {'met' if intake.ratios[ref] >= target else 'MISSED'}")
    intake.note = "; ".join(notes) if intake.status == "ok" else intake.errors()
    state["bulk_intake_row"] = intake
    return rows


def scenario_memory(ctx: Ctx, mode: dict, reps: int, state: dict) -> list[Row]:
    """Peak RSS of one `run --once` import per input size: the bulk file (its bulk-csv runs are
    reused when that scenario ran first), then 1 GB and 2 GB files."""
    points: list[tuple[Path, dict]] = [bulk_file(mode)]
    for size in mode["memory_bytes"]:
        gb = size / 1e9
        points.append(ensure_claims(f"claims-{gb:g}gb.csv", ["--target-bytes", str(size), "--seed", "11",
                                                             "--bad-share", str(BAD_SHARE), "--partner", PARTNER]))
    rows = []
    for i, (data, info) in enumerate(points):
        size = data.stat().st_size
        row = Row("memory", f"intake {size / 1e9:.2f} GB", count=info["rows"])
        bulk = state.get("bulk_intake_row")
        if i == 0 and bulk is not None and bulk.status == "ok":
            row.runs = [dict(r) for r in bulk.runs]
            note = "the bulk-csv runs above"
        else:
            warm(data)
            m, ok, err = run_intake_once(ctx, data, info, f"memory-{size // 1_000_000}MB")
            row.add_measured(m, ok, err)
            log(f"memory {size / 1e9:.2f} GB: {m.seconds:.1f} s, peak RSS {m.rss_kb / 1024:.1f} MB"
                f"{'' if ok else ' FAILED: ' + err}")
            note = f"{info['rows']:,} rows"
        if row.status == "ok":
            row.note = f"{note}; target <{RSS_TARGET_MB} MB: {'met' if row.rss_mb < RSS_TARGET_MB else 'MISSED'}"
        rows.append(row)
    # Growth verdict: smallest against largest input that succeeded.
    # A run killed at the RSS cap counts as "at least the cap".
    measured = [(d.stat().st_size, r.rss_mb, r.status != "ok") for (d, _), r in zip(points, rows)
                if r.rss_mb and (r.status == "ok" or "cap" in r.errors())]
    summary = Row("memory", "RSS growth")
    summary.status = "summary"
    if len(measured) >= 2:
        (s0, r0, _), (s1, r1, capped) = measured[0], measured[-1]
        grows = r1 - r0 > max(8.0, 0.10 * r0)
        at_least = ">=" if capped else ""
        summary.note = (f"{'GROWS' if grows else 'flat'}: {r0:.1f} MB at {s0 / 1e9:.2f} GB -> {at_least}{r1:.1f} MB at "
                        f"{s1 / 1e9:.2f} GB ({at_least}{r1 - r0:+.1f} MB for {s1 / s0:.0f}x the input"
                        f"{', killed at the cap' if capped else ''})")
        summary.extra["grows"] = grows
    else:
        summary.note = "not enough successful sizes to judge"
    rows.append(summary)
    return rows


SMALL_FILES_SETTLE_S = 45


def scenario_small_files(ctx: Ctx, mode: dict, reps: int, state: dict) -> list[Row]:
    root, count = ensure_small_files(mode["small_files"])
    row = Row("small-files", f"intake run (daemon), {count:,} files", unit="files", count=count)
    # No reference to alternate with, and 10,000 files are a large sample: one run unless --reps.
    runs = state["reps_given"] or mode["small_reps"]
    for rep in range(runs):
        tag = f"small-files-{rep + 1}"
        seconds, rss_kb, ok, err, extra = small_files_once(ctx, root, count, tag)
        row.add(seconds, rss_kb, ok, err, **extra)
        log(f"small-files run {rep + 1}: {seconds:.2f} s, {count / seconds:,.0f} files/s, peak RSS {rss_kb / 1024:.1f} MB"
            f"{'' if ok else ' FAILED: ' + err}")
    if row.status == "ok":
        r = row.rate
        drop = statistics.median(x["drop_s"] for x in row.runs)
        row.note = (f"{len(SMALL_PARTNERS)} inboxes x {SMALL_ROWS} rows; drop took {drop:.2f} s; "
                    f"target >={SMALL_FILES_TARGET:g} files/s: {'met' if r >= SMALL_FILES_TARGET else 'MISSED'}")
    return [row]


def small_files_once(ctx: Ctx, root: Path, count: int, tag: str):
    run_dir = fresh_dir(RUNS / tag)
    spool = run_dir / "spool"
    staging = run_dir / "staging"
    for p in SMALL_PARTNERS:
        (spool / "inbox" / p).mkdir(parents=True)
    (spool / "intake.json5").write_text("{ settle_seconds: 0.2, poll_interval_seconds: 0.1 }\n")
    shutil.copytree(root, staging)
    # ext4 without a journal (this machine's disk) scans past inodes freed in the last 30 s when
    # it creates a file (35 s while the inode table block is still dirty), so a burst of file
    # creations right after a spool was deleted (tens of thousands of files) ran at two thirds of
    # the speed of the same run a minute later, with 37% of the CPU in that scan. Write
    # everything back, then let the filesystem settle, as a production spool is not emptied just
    # before a burst.
    log(f"small-files {tag}: sync, then waiting {SMALL_FILES_SETTLE_S} s for recently freed inodes to age (ext4)")
    os.sync()
    time.sleep(SMALL_FILES_SETTLE_S)
    per_partner = {p: sorted((staging / p).iterdir()) for p in SMALL_PARTNERS}
    moves = []
    for k in range(max(len(v) for v in per_partner.values())):
        for p in SMALL_PARTNERS:
            if k < len(per_partner[p]):
                src = per_partner[p][k]
                moves.append((str(src), str(spool / "inbox" / p / src.name)))
    expected = {p: len(v) for p, v in per_partner.items()}
    logf = ctx.logs / f"{tag}.log"
    rss_file = run_dir / "rss.txt"
    ferr = open(logf, "wb")
    # GNU time around the daemon for its peak RSS; the signal goes to intake itself, its child.
    p = subprocess.Popen(timed_cmd([ctx.binary, "--spool", spool, "run"], rss_file),
                         stdout=subprocess.DEVNULL, stderr=ferr)
    ferr.close()
    capped, watching = threading.Event(), threading.Event()
    threading.Thread(target=watch_rss, args=(p, capped, watching), daemon=True).start()
    ok, err, extra = True, "", {}
    daemon_pid = None

    def stop(sig: int) -> None:
        for pid in ([daemon_pid] if daemon_pid else child_pids(p.pid)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    # The daemon is up when it has logged its start line.
    deadline = time.monotonic() + 30
    while b"intake started" not in logf.read_bytes():
        if p.poll() is not None or time.monotonic() > deadline:
            stop(signal.SIGKILL)
            p.wait()
            ctx.done_with(run_dir)
            return 0.0, read_rss(rss_file), False, f"daemon did not start: {tail(logf)}", {}
        time.sleep(0.02)
    daemon_pid = (child_pids(p.pid) or [None])[0]
    contention, daemon_cpu0 = Contention(), proc_cpu(daemon_pid)
    t0 = time.perf_counter()
    for src, dst in moves:
        os.rename(src, dst)
    t_drop = time.perf_counter() - t0
    outbox = spool / "outbox"
    done = {q: 0 for q in SMALL_PARTNERS}
    timeout = max(120.0, count / 5.0)  # fails below 5 files/s
    t_end = None
    while True:
        for q in SMALL_PARTNERS:
            if done[q] < expected[q]:
                try:
                    done[q] = sum(1 for e in os.scandir(outbox / q)
                                  if e.name.endswith(".result.json") and not e.name.startswith("."))
                except FileNotFoundError:
                    pass
        total = sum(done.values())
        now = time.perf_counter()
        if total >= count:
            t_end = now
            extra["other_cpu_s"] = round(contention.other(proc_cpu(daemon_pid) - daemon_cpu0), 3)
            break
        if p.poll() is not None:
            if capped.is_set():
                err = f"daemon killed: resident memory passed the {RSS_CAP_MB:,} MB cap with {total:,}/{count:,} manifests"
                break
            err = f"daemon exited (rc {p.returncode}) with {total:,}/{count:,} manifests: {tail(logf)}"
            break
        if now - t0 > timeout:
            err = f"only {total:,}/{count:,} result manifests after {timeout:.0f} s ({total / (now - t0):.1f} files/s)"
            break
        time.sleep(0.05)
    seconds = (t_end or time.perf_counter()) - t0
    if p.poll() is None:
        stop(signal.SIGTERM)
        killer = threading.Timer(90, lambda: stop(signal.SIGKILL))
        killer.start()
        p.wait()
        killer.cancel()
    watching.set()
    rss_kb, cpu = read_time(rss_file)
    extra["cpu_s"] = round(cpu, 3)
    if t_end is None:
        ok = False
    elif p.returncode != 0:
        ok, err = False, f"daemon exit {p.returncode} after SIGTERM: {tail(logf)}"
    else:
        db = spool / "intake.sqlite"
        states = sqlite_scalar(db, "select state || '=' || count(*) from jobs group by state")
        lines = int(sqlite_scalar(db, "select count(*) from service_lines"))
        extra["job_states"] = states.replace("\n", ",")
        if lines != count * SMALL_ROWS or states.replace("\n", ",") != f"succeeded={count}":
            ok, err = False, f"jobs {extra['job_states']}, {lines:,} rows loaded, expected {count * SMALL_ROWS:,}"
    extra["drop_s"] = round(t_drop, 4)
    ctx.done_with(run_dir)
    return seconds, rss_kb, ok, err, extra


def intake_commands(binary: Path) -> set[str]:
    """The command words `intake --help` lists (lines under "commands:")."""
    r = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=30)
    words, inside = set(), False
    for line in (r.stdout + r.stderr).splitlines():
        if line.strip().endswith("commands:"):
            inside = True
            continue
        if inside:
            if not line.startswith("  ") or not line.strip():
                if line.strip():
                    inside = False
                continue
            parts = line.split()
            words.add(parts[0])
            if len(parts) > 1 and re.fullmatch(r"[a-z][a-z-]*", parts[1]) and parts[0] in ("jobs", "bench", "queue"):
                words.add(f"{parts[0]} {parts[1]}")
    return words


def probe_xml(ctx: Ctx) -> str | None:
    """None when a 5-claim XML file with a `format: "xml"` feed is imported; else why not."""
    run_dir = fresh_dir(RUNS / "xml-probe")
    spool = run_dir / "spool"
    (spool / "inbox" / PARTNER).mkdir(parents=True)
    (spool / "intake.json5").write_text(XML_CONFIG)
    subprocess.run([sys.executable, str(GENERATOR), "--rows", "5", "--format", "xml", "--quiet", "--partner", PARTNER,
                    "--out", str(spool / "inbox" / PARTNER / "probe.xml")], check=True)
    r = subprocess.run([str(ctx.binary), "--spool", str(spool), "run", "--once"], capture_output=True, text=True,
                       timeout=60)
    why = None
    if r.returncode != 0:
        msg = (r.stderr.strip().splitlines() or ["?"])[-1]
        msg = msg.split(".json5: ", 1)[-1]
        why = f"an XML import job (a feed with format \"xml\" is refused: {msg[:140]})"
    else:
        res = spool / "outbox" / PARTNER / "probe.xml.result.json"
        try:
            d = json.loads(res.read_text())
            if d.get("state") != "succeeded":
                why = f"an XML import job (a 5-claim XML file came back {d.get('state')}: {d.get('message', '')[:120]})"
        except (OSError, ValueError):
            why = "an XML import job (no result manifest for a 5-claim XML file)"
    shutil.rmtree(run_dir, ignore_errors=True)
    return why


def scenario_xml(ctx: Ctx, mode: dict, reps: int, state: dict) -> list[Row]:
    why = probe_xml(ctx)
    if why:
        return [not_available("xml", "intake (XML import)", why),
                not_available("xml", "python-iterparse", "the Intake side to compare with")]
    n = mode["xml_claims"]
    data, info = ensure_claims(f"claims-{n}.xml", ["--rows", str(n), "--seed", "13", "--bad-share", str(BAD_SHARE),
                                                   "--format", "xml", "--partner", PARTNER])
    warm(data)
    rows = [Row("xml", "intake run --once", count=info["rows"]),
            Row("xml", "python-iterparse", count=info["rows"], reference=True)]
    runners = [lambda tag: run_intake_once(ctx, data, info, tag, config=XML_CONFIG),
               lambda tag: run_python_loader(ctx, data, info, tag, xml=True)]
    alternate(ctx, "xml", rows, runners, reps)
    set_ratios(rows)
    if rows[0].median and "python-iterparse" in rows[0].ratios:
        ratio = rows[0].ratios["python-iterparse"]
        rows[0].note = f"{info['rows']:,} claims; >=5x python-iterparse: {'met' if ratio >= 5 else 'MISSED'}"
    return rows


VENV = BENCH / ".venv"


def scenario_queue(ctx: Ctx, mode: dict, reps: int, state: dict) -> list[Row]:
    """No-op jobs end to end: `intake enqueue-noop --count N` then `intake run --once` (claim, run,
    record the outcome of every job), against N trivial Celery tasks through a Redis broker."""
    if "enqueue-noop" not in state["commands"]:
        return [not_available("queue", "intake no-op jobs", "`intake enqueue-noop --count N` (a no-op queue bench command)"),
                not_available("queue", "celery+redis", "the Intake side to compare with")]
    n = state.get("queue_jobs") or mode["queue_jobs"]
    intake = Row("queue", "intake enqueue-noop + run --once", unit="jobs", count=n)
    celery = Row("queue", "celery+redis", unit="tasks", count=n, reference=True)

    def run_intake(tag: str) -> tuple[Measured, bool, str]:
        run_dir = fresh_dir(RUNS / tag)
        spool = run_dir / "spool"
        logf = ctx.logs / f"{tag}.log"
        m1 = measure([ctx.binary, "--spool", spool, "enqueue-noop", "--count", n], stdout=run_dir / "enqueue.out",
                     stderr=logf, timeout=600)
        m2 = measure([ctx.binary, "--spool", spool, "run", "--once"], stderr=ctx.logs / f"{tag}-run.log",
                     timeout=120 + n / 5)
        m = Measured(m1.seconds + m2.seconds, max(m1.rss_kb, m2.rss_kb), m1.rc or m2.rc, m1.timed_out or m2.timed_out,
                     m1.rss_capped or m2.rss_capped, m1.cpu_s + m2.cpu_s, m1.other_cpu_s + m2.other_cpu_s)
        ok, err = True, ""
        if m.rc != 0 or m.failure():
            ok, err = False, m.failure() or f"exit {m.rc}: {tail(logf)} {tail(ctx.logs / f'{tag}-run.log')}"
        else:
            done = int(sqlite_scalar(spool / "intake.sqlite", "select count(*) from jobs where state = 'succeeded'"))
            if done != n:
                ok, err = False, f"{done:,} of {n:,} jobs succeeded"
        state.setdefault("queue_split", []).append((m1.seconds, m2.seconds))
        ctx.done_with(run_dir)
        return m, ok, err

    celery_bin, python_venv = VENV / "bin" / "celery", VENV / "bin" / "python"
    redis_bin = shutil.which("redis-server")
    if not (celery_bin.exists() and redis_bin):
        missing = "celery in Benchmarks/.venv" if not celery_bin.exists() else "redis-server"
        intake_only = [intake]
        alternate(ctx, "queue", intake_only, [run_intake], reps)
        return [intake, not_available("queue", "celery+redis", f"{missing} (Benchmarks/run installs both)")]

    versions = []

    def run_celery(tag: str) -> tuple[Measured, bool, str]:
        # Redis and a warm worker are up before the clock starts, and only during this subject's
        # runs (an idle worker polling Redis would otherwise load the machine during Intake's).
        with CeleryService(ctx, redis_bin, celery_bin, tag) as service:
            versions.append(service.version)
            logf = ctx.logs / f"{tag}.log"
            before = service.cpu()
            m = measure([python_venv, BENCH / "ref_celery.py", "produce", "--count", n], stderr=logf, cwd=BENCH,
                        env=service.env, timeout=120 + n / 5)
            spent = service.cpu() - before  # the worker and Redis belong to the subject, not to "other"
        m.cpu_s += spent
        m.other_cpu_s = max(0.0, m.other_cpu_s - spent)
        if m.rc != 0 or m.failure():
            return m, False, m.failure() or f"exit {m.rc}: {tail(logf)}"
        return m, True, ""
    alternate(ctx, "queue", [intake, celery], [run_intake, run_celery], reps)
    rows = [intake, celery]
    set_ratios(rows)
    if intake.median:
        enq = statistics.median(a for a, _ in state["queue_split"])
        run = statistics.median(b for _, b in state["queue_split"])
        ratio = intake.ratios.get("celery+redis")
        intake.note = (f"{n:,} jobs; enqueue {enq:.2f} s + run {run:.2f} s (medians)"
                       + (f"; >=10x celery+redis: {'met' if ratio >= 10 else 'MISSED'}" if ratio else ""))
    if celery.median:
        celery.note = (f"{n:,} tasks, worker prefork x{os.cpu_count()}, producer waits for the last; "
                       f"RSS is the producer's; Redis {versions[0] if versions else '?'}")
    return rows


class CeleryService:
    """A private redis-server on 127.0.0.1 (free port, own folder, default persistence) and a
    Celery worker (prefork, one process per core), started once for all repetitions."""

    def __init__(self, ctx: Ctx, redis_bin: str, celery_bin: Path, tag: str):
        self.ctx, self.redis_bin, self.celery_bin, self.tag = ctx, redis_bin, celery_bin, tag
        self.redis = self.worker = None
        self.version = ""

    def __enter__(self) -> "CeleryService":
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        rdir = fresh_dir(RUNS / f"{self.tag}-redis")
        self.redis = subprocess.Popen([self.redis_bin, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(rdir),
                                       "--logfile", str(self.ctx.logs / f"{self.tag}-redis.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        self.version = sh([self.redis_bin, "--version"]).split(" v=")[-1].split(" ")[0]
        self.env = dict(os.environ, BENCH_REDIS_URL=f"redis://127.0.0.1:{port}/0")
        log_path = self.ctx.logs / f"{self.tag}-worker.log"
        self.worker = subprocess.Popen([str(self.celery_bin), "-A", "ref_celery", "worker", "--pool", "prefork",
                                        "--concurrency", str(os.cpu_count() or 1), "-l", "info", "--without-gossip",
                                        "--without-mingle", "--without-heartbeat"],
                                       cwd=BENCH, env=self.env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while b"ready." not in log_path.read_bytes():
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start: {tail(log_path)}")
            time.sleep(0.1)
        return self

    def pids(self) -> list[int]:
        out = []
        for p in (self.redis, self.worker):
            if p and p.poll() is None:
                out += [p.pid] + child_pids(p.pid)
        return out

    def cpu(self) -> float:
        return sum(proc_cpu(pid) for pid in self.pids())

    def __exit__(self, *exc) -> None:
        for p in (self.worker, self.redis):
            if p and p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(RUNS / f"{self.tag}-redis", ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def latency_row(scenario: str, subject: str, samples: list[Measured], target_p99: float, errs: list[str]) -> Row:
    row = Row(scenario, subject, unit="calls")
    for m in samples:
        row.add_measured(m, m.rc == 0 and not m.timed_out, "" if m.rc == 0 else f"exit {m.rc}")
    if errs:
        row.status = "FAILED"
        row.note = errs[0]
        return row
    secs = [m.seconds for m in samples]
    p50, p99 = percentile(secs, 50), percentile(secs, 99)
    row.extra.update(p50_s=p50, p99_s=p99, rate_text=f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    row.note = f"target p99 <{target_p99 * 1000:.0f} ms: {'met' if p99 < target_p99 else 'MISSED'}"
    return row


def scenario_status(ctx: Ctx, mode: dict, reps: int, state: dict) -> list[Row]:
    has_submit = "submit" in state["commands"]
    if not has_submit and not os.environ.get("BENCH_FORCE_STATUS"):
        return [not_available("status", "intake status --json", "`intake submit` (issue 4)"),
                not_available("status", "intake jobs show", "`intake submit` (issue 4)"),
                not_available("status", "intake submit", "`intake submit FILE --partner P` (issue 4)")]
    jobs = mode["status_jobs"]
    samples = mode["latency_samples"]
    run_dir = fresh_dir(RUNS / "status")
    spool = run_dir / "spool"
    (spool / "inbox" / PARTNER).mkdir(parents=True)
    (spool / "intake.json5").write_text(BULK_CONFIG)
    # One real job (with its files, history, tasks, manifests) as the template.
    subprocess.run([sys.executable, str(GENERATOR), "--rows", "10", "--quiet", "--partner", PARTNER,
                    "--out", str(spool / "inbox" / PARTNER / "seed.csv")], check=True)
    r = subprocess.run([str(ctx.binary), "--spool", str(spool), "run", "--once"], capture_output=True, text=True, timeout=120)
    db = spool / "intake.sqlite"
    if r.returncode != 0:
        row = Row("status", "setup")
        row.status, row.note = "FAILED", f"seed import failed: {r.stderr.strip()[-200:]}"
        return [row]
    log(f"status: cloning the seed job to {jobs:,} jobs (SQL)")
    t0 = time.perf_counter()
    try:
        clone_jobs(db, jobs)
    except RuntimeError as e:
        row = Row("status", "setup")
        row.status, row.note = "FAILED", f"cloning jobs failed: {e}"
        return [row]
    log(f"status: {jobs:,} jobs in {time.perf_counter() - t0:.0f} s, {db.stat().st_size / 1e6:,.0f} MB")
    rng = random.Random(3)
    rows = []
    cases = [("intake status --json", lambda i: [ctx.binary, "--spool", spool, "status", "--json"], 0.050),
             ("intake jobs show", lambda i: [ctx.binary, "--spool", spool, "jobs", "show", str(rng.randint(1, jobs)), "--json"], 0.050)]
    for subject, cmd, target in cases:
        ms, errs = [], []
        t_cases = time.perf_counter()
        for i in range(samples):
            if i >= 10 and time.perf_counter() - t_cases > 60:
                break  # a slow command still gets 10 samples; the note says how many
            logf = ctx.logs / f"status-{subject.split()[1]}.log"
            m = measure(cmd(i), stderr=logf, timeout=60)
            ms.append(m)
            if m.rc != 0:
                errs.append(f"exit {m.rc}: {tail(logf)}")
        rows.append(latency_row("status", subject, ms, target, errs))
    if has_submit:
        files = []
        for i in range(samples):
            f = run_dir / f"submit-{i:03d}.csv"
            subprocess.run([sys.executable, str(GENERATOR), "--rows", "10", "--seed", str(9000 + i), "--quiet",
                            "--partner", PARTNER, "--out", str(f)], check=True)
            files.append(f)
        ms, errs = [], []
        for f in files:
            logf = ctx.logs / "status-submit.log"
            m = measure([ctx.binary, "--spool", spool, "submit", f, "--partner", PARTNER], stderr=logf, timeout=60)
            ms.append(m)
            if m.rc != 0:
                errs.append(f"exit {m.rc}: {tail(logf)}")
        rows.append(latency_row("status", "intake submit", ms, 0.100, errs))
    else:
        rows.append(not_available("status", "intake submit", "`intake submit FILE --partner P` (issue 4)"))
    for row in rows:
        if row.status != "not-available":
            row.note = f"{jobs:,} jobs; " + row.note
    ctx.done_with(run_dir)
    return rows


def clone_jobs(db: Path, total: int) -> None:
    """Copies job 1 and its rows in every table that has a job_id column until `total` jobs exist.
    States and partners vary so that `status` has something to group."""
    import sqlite3
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        cols = [r[1] for r in con.execute("PRAGMA table_info(jobs)")]
        have = con.execute("select max(id) from jobs").fetchone()[0]
        need = total - have
        if need <= 0:
            return
        states = ["succeeded"] * 14 + ["partially_succeeded", "partially_succeeded", "rejected", "failed", "duplicate", "rejected"]
        con.execute("BEGIN")
        con.execute("CREATE TEMP TABLE n(i INTEGER PRIMARY KEY)")
        con.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) INSERT INTO n SELECT i FROM c", (need,))
        has_files = "file_id" in cols and con.execute(
            "select count(*) from sqlite_master where type='table' and name='files'").fetchone()[0]
        fmax = con.execute("select max(id) from files").fetchone()[0] if has_files else 0
        template_file = con.execute("select file_id from jobs where id = 1").fetchone()[0] if has_files else None
        partner_expr = "'partner-' || printf('%02d', 1 + n.i % 20)"
        sel = []
        for c in cols:
            if c == "id":
                sel.append(f"{have} + n.i")
            elif c == "file_id" and template_file is not None:
                sel.append(f"{fmax} + n.i")
            elif c == "partner":
                sel.append(partner_expr)
            elif c == "state":
                sel.append("CASE n.i % 20 " + " ".join(f"WHEN {k} THEN '{s}'" for k, s in enumerate(states)) + " END")
            elif c in ("created_at", "started_at", "finished_at", "delivered_at", "run_after"):
                sel.append(f"{c} - n.i * 30.0")
            else:
                sel.append(c)
        con.execute(f"INSERT INTO jobs({', '.join(cols)}) SELECT {', '.join(sel)} FROM jobs, n WHERE jobs.id = 1")
        if template_file is not None:  # each job gets its own copy of the file row
            fcols = [r[1] for r in con.execute("PRAGMA table_info(files)")]
            fsel = [f"{fmax} + n.i" if c == "id" else f"{have} + n.i" if c == "job_id" else partner_expr if c == "partner"
                    else f"{c} || '-' || n.i" if c in ("name", "inbox_path", "work_path", "final_path", "sha256") else c
                    for c in fcols]
            con.execute(f"INSERT INTO files({', '.join(fcols)}) SELECT {', '.join(fsel)} FROM files, n WHERE files.id = ?",
                        (template_file,))
        for (table,) in con.execute("select name from sqlite_master where type='table'").fetchall():
            tcols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            if table in ("jobs", "files", "claims", "audit_events") or "job_id" not in tcols:
                continue
            pk_int = any(r[1] == "id" and r[5] == 1 for r in con.execute(f"PRAGMA table_info({table})"))
            keep = [c for c in tcols if not (c == "id" and pk_int)]
            sel = [f"{have} + n.i" if c == "job_id" else c for c in keep]
            con.execute(f"INSERT INTO {table}({', '.join(keep)}) SELECT {', '.join(sel)} FROM {table}, n WHERE {table}.job_id = 1")
        con.execute("COMMIT")
        con.execute("ANALYZE")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as e:
        raise RuntimeError(str(e))
    finally:
        con.close()


RUNNERS = {"bulk-csv": scenario_bulk_csv, "memory": scenario_memory, "small-files": scenario_small_files,
           "xml": scenario_xml, "queue": scenario_queue, "status": scenario_status}


# ---------------------------------------------------------------------------------------------
# Environment, JSON, comparison


def sh(cmd: list) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout or r.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) // 1024
    except (OSError, StopIteration):
        mem = 0
    osname = ""
    try:
        osname = next(l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_mb": mem, "kernel": platform.release(), "os": osname,
            "fs": sh(["df", "-T", str(OUT)]).splitlines()[-1].split()[1] if sh(["df", "-T", str(OUT)]) else ""}


def versions(binary: Path) -> dict:
    """What the binary was built from: Benchmarks/run records the commit (+dirty when Sources/ or
    Package.swift differed from it) at each successful build in out/build/intake-source.txt. For
    another binary (--binary), only the working tree's state now is known."""
    source_file = OUT / "build" / "intake-source.txt"
    if binary == (OUT / "build" / "release" / "intake").resolve() and source_file.exists():
        built_from = source_file.read_text().strip()
    else:
        rev = sh(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        dirty = sh(["git", "-C", str(REPO), "status", "--porcelain", "--", "Sources", "Package.swift"])
        built_from = f"unknown (--binary given; tree now {rev}{'+dirty' if dirty else ''})"
    return {"intake_git": built_from, "intake_binary": str(binary),
            "binary_mtime": dt.datetime.fromtimestamp(binary.stat().st_mtime, dt.timezone.utc).isoformat(timespec="seconds"),
            "swift": sh(["swift", "--version"]).splitlines()[0] if sh(["swift", "--version"]) else "",
            "sqlite3": sh(["sqlite3", "--version"]).split(" ")[0], "python": platform.python_version()}


def load_results(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def print_compare(old: dict, new: dict, old_name: str, new_name: str) -> None:
    """Rows matched by scenario and subject. Speed compares rates (items per second) when both
    rows have one, so runs of different sizes still compare per item; the note says so."""
    key = lambda r: (r["scenario"], r["subject"])  # noqa: E731
    olds = {key(r): r for r in old.get("results", [])}
    head = ["scenario", "subject", "old median s", "new median s", "speed new/old", "old RSS MB", "new RSS MB",
            "RSS new/old", "note"]
    lines = []
    for r in new.get("results", []):
        o = olds.get(key(r))
        if not o:
            continue
        om, nm = o.get("median_s"), r.get("median_s")
        orss, nrss = o.get("peak_rss_mb"), r.get("peak_rss_mb")
        if not om and not nm:
            continue
        orate, nrate = o.get("rate_per_s"), r.get("rate_per_s")
        speed = nrate / orate if orate and nrate else (om / nm if om and nm else None)
        note = ""
        if o.get("count") != r.get("count"):
            note = f"input differs: {o.get('count') or 0:,} -> {r.get('count') or 0:,} {r.get('unit', '')}; speed per item"
        lines.append([r["scenario"], r["subject"], f"{om:.3f}" if om else o.get("status", "-"),
                      f"{nm:.3f}" if nm else r.get("status", "-"), f"{speed:.2f}x" if speed else "-",
                      f"{orss:.1f}" if orss else "-", f"{nrss:.1f}" if nrss else "-",
                      f"{nrss / orss:.2f}x" if orss and nrss else "-", note])
    ov, nv = old.get("versions", {}), new.get("versions", {})
    print(f"\nComparison: new {new_name} ({new.get('mode', '?')} run {new.get('started_at', '?')}, intake {nv.get('intake_git', '?')})"
          f" against old {old_name} ({old.get('mode', '?')} run {old.get('started_at', '?')}, intake {ov.get('intake_git', '?')})")
    if old.get("machine", {}).get("cpu") != new.get("machine", {}).get("cpu"):
        print("warning: the two runs were on different CPUs")
    print("speed new/old: new rate / old rate (or old median / new median); above 1 is faster now. RSS new/old: below 1 is smaller now.")
    if not lines:
        print("(no scenario/subject in common with timings)")
        return
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(head)]
    fmt = lambda c: " | ".join(x.rjust(w) if 2 <= i <= 7 else x.ljust(w) for i, (x, w) in enumerate(zip(c, widths))).rstrip()  # noqa: E731
    print(fmt(head))
    print("-+-".join("-" * w for w in widths))
    for l in lines:
        print(fmt(l))


def main() -> int:
    ap = argparse.ArgumentParser(description="Intake benchmarks (see Benchmarks/README.md)")
    ap.add_argument("--binary", help="the release intake binary to measure")
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 2 repetitions, 1 GB memory point only")
    ap.add_argument("--scenario", action="append", default=[], help=f"one of {', '.join(SCENARIOS)} (repeatable, comma lists)")
    ap.add_argument("--reps", type=int, help="repetitions of each A/B scenario (default 3, --quick 2)")
    ap.add_argument("--compare", help="an earlier results JSON: print ratios of this run against it")
    ap.add_argument("--no-run", action="store_true", help="with --compare: compare out/latest.json, run nothing")
    ap.add_argument("--keep", action="store_true", help="keep spools and databases under out/runs/")
    ap.add_argument("--queue-jobs", type=int, help="no-op jobs (and Celery tasks) in the queue scenario (default 100,000 as in the issue; --quick 2,000)")
    ap.add_argument("--rss-cap-mb", type=int, default=RSS_CAP_MB,
                    help=f"kill a measured process whose resident memory passes this (default {RSS_CAP_MB})")
    args = ap.parse_args()
    globals()["RSS_CAP_MB"] = args.rss_cap_mb

    if args.no_run:
        if not args.compare:
            ap.error("--no-run needs --compare FILE")
        latest = OUT / "latest.json"
        print_compare(load_results(Path(args.compare)), load_results(latest), args.compare, str(latest))
        return 0
    if not args.binary:
        ap.error("--binary is required")
    binary = Path(args.binary).resolve()
    chosen = []
    for s in args.scenario:
        chosen += [x.strip() for x in s.split(",") if x.strip()]
    if not chosen or "all" in chosen:
        chosen = list(SCENARIOS)
    bad = [s for s in chosen if s not in SCENARIOS]
    if bad:
        ap.error(f"unknown scenario {', '.join(bad)} (known: {', '.join(SCENARIOS)})")
    mode_name = "quick" if args.quick else "full"
    mode = MODES[mode_name]
    reps = args.reps or mode["reps"]

    started = dt.datetime.now(dt.timezone.utc)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    logs = OUT / "logs" / stamp
    logs.mkdir(parents=True, exist_ok=True)
    ctx = Ctx(binary, logs, args.keep)
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]
    if load0 > 0.7:
        log(f"warning: load average is {load0:.2f} before the run; other work on this machine skews the numbers")
    state = {"commands": intake_commands(binary), "reps_given": args.reps, "queue_jobs": args.queue_jobs}
    ordered = [s for s in SCENARIOS if s in chosen]
    rows: list[Row] = []
    for s in ordered:
        log(f"scenario {s} ({mode_name})")
        t0 = time.perf_counter()
        try:
            rows += RUNNERS[s](ctx, mode, reps, state)
        except Exception as e:  # a broken scenario must not lose the others' results
            row = Row(s, "(scenario)")
            row.status, row.note = "FAILED", f"{type(e).__name__}: {e}"
            rows.append(row)
        log(f"scenario {s} took {time.perf_counter() - t0:.0f} s")
    total = time.perf_counter() - t_start
    shutil.rmtree(RUNS, ignore_errors=True) if not args.keep else None

    vers = versions(binary)
    mach = machine()
    result = {
        "schema": 1, "started_at": started.isoformat(timespec="seconds"), "duration_s": round(total, 1),
        "mode": mode_name, "reps": reps, "scenarios": ordered, "machine": mach, "versions": vers,
        "loadavg_start": round(load0, 2), "loadavg_end": round(os.getloadavg()[0], 2),
        "results": [r.to_json() for r in rows], "logs": str(logs.relative_to(BENCH)),
    }
    path = OUT / f"results-{stamp}.json"
    path.write_text(json.dumps(result, indent=1))
    shutil.copyfile(path, OUT / "latest.json")

    for r in rows:  # summary rows print like not-available ones: text only
        if r.status == "summary":
            r.status = "not-available"
    print()
    print(f"Intake benchmarks, {mode_name} run, {reps} repetition(s), {started:%Y-%m-%d %H:%M} UTC, "
          f"intake {vers['intake_git']}, sqlite3 {vers['sqlite3']}, Python {vers['python']}")
    print(f"{mach['cpu']}, {mach['cores']} cores, {mach['mem_mb'] / 1024:.0f} GB RAM, {mach['os']}, {mach['fs']}; "
          f"load average {load0:.2f} at start")
    runs = [r for row in rows for r in row.runs if "other_cpu_s" in r]
    wall = sum(r["seconds"] for r in runs) * (os.cpu_count() or 1)
    other = sum(r["other_cpu_s"] for r in runs) / wall if wall else 0.0
    result["other_load"] = round(other, 3)
    path.write_text(json.dumps(result, indent=1))
    shutil.copyfile(path, OUT / "latest.json")
    print(f"other processes used {other:.0%} of the machine's CPU during the measured runs"
          f"{' (numbers skewed: run again on a quiet machine)' if other >= 0.10 else ''}")
    print(render_table(rows))
    print(f"rate = items in the input / median wall-clock seconds of the whole process; vs references = "
          f"this row's rate / the reference's rate (>1: faster); peak RSS = max over runs (MiB).")
    print(f"took {total / 60:.1f} min; results: {path.relative_to(REPO)} (and out/latest.json); logs: {logs.relative_to(REPO)}")
    if args.compare:
        print_compare(load_results(Path(args.compare)), result, args.compare, str(path.relative_to(REPO)))
    return 1 if any(r.status == "FAILED" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
