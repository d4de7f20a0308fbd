"""Load on the review service: concurrent users browsing a large caseload.

Builds a run folder of ``--people`` people cheaply (a small synthetic cohort's
people at its latest as-of date, replicated under new pseudonyms with all their
records), starts ``earlysignal serve`` on a free loopback port in its own
process, signs in ``--users`` virtual users (several sessions per account, each
account holding every team) and lets each one, for ``--seconds``, open a random
caseload page (a band filter one time in three, a pseudonym search one time in
ten) and then the page of a person listed on it, as a browser would, pausing
``--think`` seconds on average between pages as people reading them do
(uniformly half to one and a half times that; 0 sends requests back to back, a
closed loop whose latency is the number of users over the throughput). Prints
requests per second, p50/p95/max latency and errors, overall and per kind of
page. Traffic goes to 127.0.0.1 only; every loop stops at the deadline.

    python benchmarks/serve.py                          # 20,000 people, 50 users, 60 s
    python benchmarks/serve.py --people 2000 --users 10 --seconds 10
    python benchmarks/serve.py --seconds 0              # CPU per page only
    python benchmarks/serve.py --workers 2              # two worker processes

Before the load, ``--cpu-pages`` caseload pages and as many pages of people not
yet seen are requested one at a time, and the server's CPU time per page is read
from /proc: the figure that does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from earlysignal.data.synth import SynthConfig, generate

BANDS = [
    {"name": "Very high", "lower": 0.12, "share_of_cohort": 0.01, "observed_per_100": 23.1},
    {"name": "High", "lower": 0.05, "share_of_cohort": 0.04, "observed_per_100": 8.2},
    {"name": "Raised", "lower": 0.02, "share_of_cohort": 0.15, "observed_per_100": 3.0},
    {"name": "Typical", "lower": 0.0, "share_of_cohort": 0.80, "observed_per_100": 0.6},
]
PASSWORD = "load test passphrase 2024"
TABLES = ("people", "events", "episodes", "periods", "characteristics")


def _band(score: float) -> str:
    return next(str(b["name"]) for b in BANDS if score >= b["lower"])


def build_run(root: Path, people: int, seed: int = 1) -> Path:
    """A run folder of ``people`` people: a synthetic cohort's latest scored
    people replicated under new pseudonyms (``R{copy}-{id}``) with their records."""
    cohort = generate(SynthConfig(people=600, seed=seed))
    truth = cohort.truth
    dates = sorted(truth["as_of"].unique())
    latest = truth[truth["as_of"] == dates[-1]].reset_index(drop=True)
    before = truth[truth["as_of"] == dates[-2]].set_index("person_id")["p_true"]
    copies = -(-people // len(latest))
    rng = np.random.default_rng(seed)
    base = latest.assign(previous_score=latest["person_id"].map(before) * 3)
    frames = []
    for k in range(copies):
        f = base.assign(person_id=[f"R{k:03d}-{p}" for p in base["person_id"]],
                        score=np.clip(base["p_true"] * 3 * np.exp(
                            rng.normal(0, 0.5, len(base))), 0.0005, 0.9))
        frames.append(f)
    cl = pd.concat(frames, ignore_index=True).head(people)
    source = {f"R{k:03d}-{p}": p for k in range(copies) for p in base["person_id"]}
    cl["original"] = cl["person_id"].map(source)
    ppl = cohort.tables["people"].set_index("person_id")
    cl = cl.assign(
        previous_as_of=dates[-2], band=cl["score"].map(_band),
        previous_band=cl["previous_score"].map(lambda s: None if pd.isna(s) else _band(s)),
        change=cl["score"] - cl["previous_score"],
        school=cl["original"].map(ppl["school"]), team=cl["original"].map(ppl["team"]),
        top_reason="Behaviour and exclusions: behaviour incidents in the last year",
        top_family="behaviour")
    run = root / "run"
    data = run / "data"
    data.mkdir(parents=True)
    ids = cl[["person_id", "original"]]
    for name in TABLES:
        t = cohort.tables[name]
        t = ids.merge(t.rename(columns={"person_id": "original"}), on="original")
        t.drop(columns="original").to_parquet(data / f"{name}.parquet", index=False)
    cl = cl.drop(columns=["original", "p_true", "horizon", "escalation_date"],
                 errors="ignore").sort_values("score", ascending=False)
    cl.to_parquet(run / "caseload.parquet", index=False)
    bands = [{**b, "upper": 1.0, "n": 100, "outcomes": 1,
              "outcome": "a youth-justice outcome", "horizon": "12 months"}
             for b in BANDS]
    (run / "bands.json").write_text(json.dumps({"bands": bands}))
    (run / "config.yaml").write_text(
        "name: load\nfairness:\n  groups: [sex, ethnicity]\n"
        "label:\n  name: youth_justice_first_time_entry\n  horizon: 12m\n")
    (run / "run.json").write_text(json.dumps({
        "name": "load", "data": {"origin": "synthetic cohort, replicated",
                                 "folder": str(data)}}))
    return run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Session:
    """One signed-in user: cookies kept by hand, one connection per request."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body: dict | None = None
                ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Origin": f"http://127.0.0.1:{self.port}",
                            "Referer": f"http://127.0.0.1:{self.port}{path}"})
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace")
            for h, v in r.getheaders():
                if h.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return r.status, text
        finally:
            conn.close()

    def sign_in(self, name: str) -> None:
        _, page = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        status, _ = self.request("POST", "/login/", {
            "username": name, "password": PASSWORD, "next": "/",
            "csrfmiddlewaretoken": token.group(1) if token else ""})
        if status != 302:
            raise RuntimeError(f"sign-in of {name} failed with HTTP {status}")


def _browse(s: Session, deadline: float, pages: int, rng: np.random.Generator,
            out: list[tuple[str, float, bool]], ids: list[str], think: float
            ) -> None:
    link = re.compile(r'href="/person/([^/"]+)/"')
    last = ""
    while time.monotonic() < deadline:
        query: dict[str, str] = {"page": str(int(rng.integers(1, pages + 1)))}
        if rng.random() < 1 / 3:
            query = {"band": str(rng.choice([b["name"] for b in BANDS]))}
        if rng.random() < 0.1:
            query = {"q": str(rng.choice(ids))[:8]}
        for kind, path in (("caseload", "/caseload/?" + urlencode(query)),
                           ("person", "")):
            if kind == "person":
                found = link.findall(last)
                if not found:
                    break
                path = f"/person/{rng.choice(found)}/"
            t = time.perf_counter()
            try:
                status, last = s.request("GET", path)
                ok = status == 200
            except OSError:
                ok, last = False, ""
            out.append((kind, time.perf_counter() - t, ok))
            pause = think * rng.uniform(0.5, 1.5)
            if time.monotonic() + pause >= deadline:
                return
            time.sleep(pause)


def _start(run: Path, port: int, accounts: int, log: Path, workers: int
           ) -> subprocess.Popen:
    env = {**os.environ, "EARLYSIGNAL_PASSWORD": PASSWORD}
    cli = [sys.executable, "-m", "earlysignal.cli"]
    teams = sorted(pd.read_parquet(run / "caseload.parquet")["team"].unique())
    for i in range(accounts):
        subprocess.run([*cli, "users", "add", f"load{i}", "--role", "practitioner",
                        *[x for t in teams for x in ("--team", t)], str(run)],
                       env=env, check=True, capture_output=True)
    server = subprocess.Popen([*cli, "serve", str(run), "--port", str(port),
                               "--workers", str(workers)], env=env,
                              stdout=log.open("w"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped: {log.read_text()}") from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start within 60 s")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process and its running child processes (the
    server's workers) have used so far, from /proc; None where there is no
    /proc."""
    mine = _stat(pid)
    if mine is None:
        return None
    ticks = int(mine[11]) + int(mine[12])
    for entry in Path("/proc").iterdir():
        child = _stat(int(entry.name)) if entry.name.isdigit() else None
        if child is not None and int(child[1]) == pid:  # field 4: parent's id
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def cpu_per_page(s: Session, server: subprocess.Popen, ids: list[str], pages: int,
                 seed: int) -> dict[str, float]:
    """The server's CPU time per page, in ms, over ``pages`` caseload pages and
    then ``pages`` person pages (people not seen before) requested one at a
    time: what a page costs however busy the machine is."""
    rng = np.random.default_rng(seed + 7)
    people = rng.choice(ids, size=pages, replace=False)
    out = {}
    for kind, paths in (
            ("caseload", [f"/caseload/?page={int(rng.integers(1, 400))}"
                          for _ in range(pages)]),
            ("person", [f"/person/{p}/" for p in people])):
        before = _cpu_seconds(server.pid)
        for path in paths:
            status, _ = s.request("GET", path)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status}")
        after = _cpu_seconds(server.pid)
        if before is None or after is None:
            return {}
        out[kind] = 1000 * (after - before) / pages
    return out


def _summary(name: str, rows: list[tuple[str, float, bool]], seconds: float) -> str:
    if not rows:
        return f"{name:<10} no requests"
    ms = sorted(1000 * t for _, t, _ in rows)
    errors = sum(not ok for _, _, ok in rows)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (f"{name:<10} {len(rows):>7,} requests  {len(rows) / seconds:7.1f}/s  "
            f"p50 {statistics.median(ms):6.0f} ms  p95 {p95:6.0f} ms  "
            f"max {ms[-1]:6.0f} ms  errors {errors}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--accounts", type=int, default=5,
                    help="user accounts the virtual users share (sessions differ)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean pause between a user's pages, seconds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cpu-pages", type=int, default=50,
                    help="pages of each kind requested one at a time first, to "
                    "measure the server's CPU time per page (0: skip)")
    ap.add_argument("--workers", type=int, default=1,
                    help="server processes (earlysignal serve --workers): 1 is one "
                    "threaded process")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="earlysignal-load-"))
    server = None
    try:
        t = time.perf_counter()
        run = build_run(root, args.people)
        print(f"run folder of {args.people:,} people built in "
              f"{time.perf_counter() - t:.1f} s")
        port = _free_port()
        server = _start(run, port, args.accounts, root / "server.log", args.workers)
        print(f"earlysignal serve --workers {args.workers}"
              + (" (one threaded process)" if args.workers == 1 else
                 f" ({args.workers} worker processes)"))
        sessions = [Session(port) for _ in range(args.users)]
        t = time.perf_counter()
        for i, s in enumerate(sessions):
            s.sign_in(f"load{i % args.accounts}")
        print(f"{args.users} users signed in in {time.perf_counter() - t:.1f} s")
        # one caseload page first, so that the run is read before the clock starts
        sessions[0].request("GET", "/caseload/")
        ids = pd.read_parquet(run / "caseload.parquet")["person_id"].tolist()
        sessions[0].request("GET", f"/person/{ids[0]}/")  # the run's index is built
        if args.cpu_pages:
            cpu = cpu_per_page(sessions[0], server, ids[1:], args.cpu_pages,
                               args.seed)
            for kind, ms in cpu.items():
                print(f"server CPU per {kind} page: {ms:.1f} ms (mean of "
                      f"{args.cpu_pages}, one request at a time)")
        if args.seconds <= 0:
            return
        results: list[list[tuple[str, float, bool]]] = [[] for _ in sessions]
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=_browse, args=(
            s, deadline, -(-args.people // 50), np.random.default_rng(args.seed + i),
            results[i], ids, args.think)) for i, s in enumerate(sessions)]
        quiet = os.getloadavg()[0]  # other work on the machine, before ours
        start = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        took = time.perf_counter() - start
        rows = [r for rs in results for r in rs]
        print(f"{args.users} users, {args.think:g} s between pages on average, for "
              f"{took:.1f} s on 127.0.0.1 against --workers {args.workers} "
              f"(server and client share this machine's {os.cpu_count()} cores; "
              f"1-minute load average {quiet:.2f} before, "
              f"{os.getloadavg()[0]:.2f} at the end)")
        print(_summary("all", rows, took))
        for kind in ("caseload", "person"):
            print(_summary(kind, [r for r in rows if r[0] == kind], took))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
