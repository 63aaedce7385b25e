#!/usr/bin/env python3
"""Sesame's benchmark: builds the release server, drives it on loopback with wrk, and
prints one table of numbers and ratios measured side by side in this one run.

    make bench                                   # or: python3 bench/run.py
    python3 bench/run.py --seconds 10 --sessions 100000

For each store (SQLite, PostgreSQL, PostgreSQL + Redis): an anonymous page, an
authenticated light request (POST /api/current_user) and the same without a session
(the bound a session cache could reach), the account page, a login storm
with real Argon2 and the latency of authenticated requests during it, and what 100k
sessions cost in the store and in the server's memory. Beside them: a bare axum handler
(the ceiling), the Argon2 verifications per second the machine allows, and the release
WASM and JS sizes. Every load run is bounded by --seconds; nothing leaves 127.0.0.1.

The goals are printed, never asserted: this is a measurement, not a test.
"""

import argparse
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "bench"
RELEASE = ROOT / "target" / "release"
PASSWORD = "orbit-velvet-canyon-42"
STORES = ["sqlite", "postgres", "redis"]
PROBE_EVERY_MS = 5

started = []  # processes to stop at exit, by PID


def say(text):
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def stop_all():
    for proc in reversed(started):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    subprocess.run([ROOT / "scripts" / "test-stores.sh", "stop"], env=stores_env(), check=False)


def stores_env():
    env = dict(os.environ)
    env.update(SESAME_STORES_DIR=str(WORK / "stores"), SESAME_TEST_PG_PORT="55532",
               SESAME_TEST_REDIS_PORT="56479")
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, proc, what):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited at start")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not start")


def start(cmd, health, what):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env={**os.environ, "SESAME_LOG": "warn"})
    started.append(proc)
    wait_until_up(health, proc, what)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


def rss_bytes(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def lua(name, body):
    path = WORK / f"{name}.lua"
    path.write_text(body)
    return str(path)


def post_script(cookie, body="", every_ms=0):
    # With every_ms, one request per that many ms on each connection: a light, steady
    # probe of latency, instead of a closed loop that would itself take a whole core.
    pace = f"function delay() return {every_ms} end" if every_ms else ""
    return lua(f"post-{abs(hash((cookie, body, every_ms)))}", f"""
{pace}
wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
{f'wrk.headers["Cookie"] = "sesame={cookie}"' if cookie else ''}
""")


def page_script(cookie):
    return lua(f"page-{abs(hash(cookie))}", f"""
wrk.headers["Accept"] = "text/html"
{f'wrk.headers["Cookie"] = "sesame={cookie}"' if cookie else ''}
""")


def spread_script(cookie_file):
    return lua("spread", f"""
local cookies = {{}}
for line in io.lines("{cookie_file}") do cookies[#cookies + 1] = line end
local headers = {{["Content-Type"] = "application/x-www-form-urlencoded"}}
request = function()
  headers["Cookie"] = "sesame=" .. cookies[math.random(#cookies)]
  return wrk.format("POST", "/api/current_user", headers, "")
end
""")


def parse_latency(text):
    units = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * units[match.group(2)]


def wrk(url, seconds, conns, script=None, background=False):
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    started.append(proc)
    if background:
        return proc
    return wrk_result(proc)


def wrk_result(proc):
    out, _ = proc.communicate()
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        result[f"p{pct}"] = parse_latency(found.group(1)) if found else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(bad.group(1)) if bad else 0
    errors = re.search(r"Socket errors: (.*)", out)
    result["errors"] = errors.group(1) if errors else ""
    return result


def post_form(base, path, fields, cookie=None):
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(base + path, data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if cookie:
        request.add_header("Cookie", f"sesame={cookie}")
    with urllib.request.urlopen(request, timeout=20) as response:
        found = re.search(r"sesame=([^;]+)", response.headers.get("Set-Cookie", ""))
        return found.group(1) if found else None


def store_settings(store, stores):
    if store == "sqlite":
        path = WORK / "sqlite" / "sesame.db"
        shutil.rmtree(path.parent, ignore_errors=True)
        return ["--database-url", f"sqlite://{path}"]
    database = f"bench_{store}_{int(time.time())}"
    admin = stores["SESAME_TEST_POSTGRES"]
    run(["psql", "-q", admin, "-c", f"CREATE DATABASE {database}"], stdout=subprocess.DEVNULL)
    args = ["--database-url", admin.rsplit("/", 1)[0] + "/" + database]
    if store == "redis":
        args += ["--session-store-url", stores["SESAME_TEST_REDIS"], "--redis-prefix", f"{database}:"]
    return args


def bench_store(store, stores, args, ceiling_conns):
    settings = store_settings(store, stores)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start([str(RELEASE / "sesame"), "--addr", f"127.0.0.1:{port}",
                    "--site-root", str(ROOT / "target" / "site"), *settings],
                   f"{base}/healthz", f"sesame on {store}")
    secs = args.seconds
    cookie = post_form(base, "/api/signup",
                       {"username": "bench", "password": PASSWORD, "password_confirm": PASSWORD})
    r = {}
    say(f"{store}: pages and light requests")
    r["anonymous"] = wrk(f"{base}/", secs, ceiling_conns, page_script(None))
    r["light"] = wrk(f"{base}/api/current_user", secs, ceiling_conns, post_script(cookie))
    # The same request with no session: everything but the store, the most a cache could give.
    r["light_anonymous"] = wrk(f"{base}/api/current_user", secs, ceiling_conns, post_script(None))
    r["account"] = wrk(f"{base}/account", secs, ceiling_conns, page_script(cookie))
    r["static"] = wrk(f"{base}/pkg/sesame.css", secs, 1)

    say(f"{store}: a login storm, and authenticated latency beside it")
    probe = post_script(cookie, every_ms=PROBE_EVERY_MS)
    r["idle"] = wrk(f"{base}/api/current_user", secs, 1, probe)
    login = post_script(None, f"username=bench&password={PASSWORD}")
    storm = wrk(f"{base}/api/login", secs, 4, login, background=True)
    r["during"] = wrk(f"{base}/api/current_user", secs, 1, probe)
    r["storm"] = wrk_result(storm)

    say(f"{store}: {args.sessions} sessions in the store")
    cookies = WORK / f"cookies-{store}.txt"
    fill = run([str(RELEASE / "fill"), *settings, "--template", cookie, "--count",
                str(args.sessions), "--cookies", str(cookies)], capture_output=True)
    r["store_bytes"] = json.loads(fill.stdout)["store_bytes_per_session"]
    before = rss_bytes(server.pid)
    r["spread"] = wrk(f"{base}/api/current_user", secs, ceiling_conns, spread_script(cookies))
    r["memory_bytes"] = (rss_bytes(server.pid) - before) / args.sessions
    r["rss"] = rss_bytes(server.pid)
    stop(server)
    return r


def sizes():
    pkg = ROOT / "target" / "site" / "pkg"
    found = {}
    for kind, pattern in (("wasm", "*.wasm"), ("js", "*.js")):
        raw = comp = 0
        for path in pkg.glob(pattern):
            raw += path.stat().st_size
            comp += len(subprocess.run(["brotli", "-c", "-q", "11", str(path)],
                                       capture_output=True, check=True).stdout)
        found[kind] = (raw, comp)
    return found


def table(results, ceiling, hashes, files, args):
    def kb(n):
        return f"{n / 1024:.1f} KB"

    rows = [("", "SQLite", "PostgreSQL", "PG + Redis", "goal")]

    def row(label, fmt, goal=""):
        rows.append((label, *(fmt(results[s]) for s in STORES), goal))

    row("anonymous page, req/s", lambda r: f"{r['anonymous']['rps']:.0f}")
    row("  × ceiling", lambda r: f"{r['anonymous']['rps'] / ceiling['rps']:.2f}")
    row("authenticated light request, req/s", lambda r: f"{r['light']['rps']:.0f}")
    row("  × ceiling", lambda r: f"{r['light']['rps'] / ceiling['rps']:.2f}", "≥ 0.5 (SQLite)")
    row("the same, no session to read, req/s", lambda r: f"{r['light_anonymous']['rps']:.0f}")
    row("  × ceiling", lambda r: f"{r['light_anonymous']['rps'] / ceiling['rps']:.2f}")
    row("account page, req/s", lambda r: f"{r['account']['rps']:.0f}")
    row("  × ceiling", lambda r: f"{r['account']['rps'] / ceiling['rps']:.2f}")
    row("static file on one connection, req/s", lambda r: f"{r['static']['rps']:.0f}")
    row("login storm, logins/s", lambda r: f"{r['storm']['rps']:.1f}")
    row("  × hash capacity", lambda r: f"{r['storm']['rps'] / hashes:.2f}", "≥ 0.8")
    row("authenticated p99 idle, ms", lambda r: f"{r['idle']['p99']:.2f}")
    row("authenticated p99 in the storm, ms", lambda r: f"{r['during']['p99']:.2f}")
    row("  × idle", lambda r: f"{r['during']['p99'] / r['idle']['p99']:.2f}", "≤ 3")
    row("store bytes per session", lambda r: f"{r['store_bytes']:.0f}", "≤ 1024")
    row("server memory bytes per session", lambda r: f"{r['memory_bytes']:.1f}", "≤ 1024")
    row(f"light requests over {args.sessions // 1000}k sessions, req/s", lambda r: f"{r['spread']['rps']:.0f}")

    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    lines = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    wasm, js = files["wasm"], files["js"]
    lines += [
        "",
        f"ceiling (bare axum handler, same machine, same load): {ceiling['rps']:.0f} req/s",
        f"hash capacity (Argon2id m=19 MiB t=2 p=1, one per core): {hashes:.1f} verifications/s",
        f"WASM {kb(wasm[0])} raw, {kb(wasm[1])} brotli; JS {kb(js[0])} raw, {kb(js[1])} brotli; "
        f"together {kb(wasm[1] + js[1])} brotli (goal ≤ 150 KB)",
        f"load: wrk, 1 thread, {args.conns} connections (4 logging in; latency probed on one "
        f"connection, a request every {PROBE_EVERY_MS} ms), "
        f"{args.seconds} s per run, on {os.cpu_count()} cores shared with the server",
    ]
    bad = [f"{s}/{k}: {v['non2xx']} non-2xx" for s in STORES for k, v in results[s].items()
           if isinstance(v, dict) and v.get("non2xx") and k not in ("anonymous",)]
    if bad:
        lines.append("answers that were not 2xx/3xx: " + ", ".join(bad))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--conns", type=int, default=16, help="connections for throughput runs")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "brotli", "redis-server", "psql"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run scripts/setup.sh bench")

    WORK.mkdir(parents=True, exist_ok=True)
    if not args.no_build:
        say("building the release server and the frontend")
        run(["make", "-s", "-C", str(ROOT), "build"])
        run(["cargo", "build", "--release", "-q", "-p", "sesame-bench"], cwd=ROOT)

    atexit.register(stop_all)
    out = run([str(ROOT / "scripts" / "test-stores.sh"), "start"], env=stores_env(),
              capture_output=True).stdout
    stores = dict(line.split("=", 1) for line in out.split())

    say("the ceiling: a bare axum handler")
    port = free_port()
    ceiling_proc = start([str(RELEASE / "ceiling"), "--addr", f"127.0.0.1:{port}"],
                         f"http://127.0.0.1:{port}/whoami", "the ceiling")
    ceiling = wrk(f"http://127.0.0.1:{port}/whoami", args.seconds, args.conns,
                  post_script(None))
    stop(ceiling_proc)

    say("what the hash cost allows")
    hashes = json.loads(run([str(RELEASE / "hashrate"), "--seconds", str(args.seconds)],
                            capture_output=True).stdout)["verifications_per_second"]

    results = {store: bench_store(store, stores, args, args.conns) for store in STORES}
    report = table(results, ceiling, hashes, sizes(), args)
    (WORK / "results.md").write_text(report + "\n")
    (WORK / "results.json").write_text(json.dumps(
        {"results": results, "ceiling": ceiling, "hashes": hashes}, indent=1))
    print(report)


if __name__ == "__main__":
    main()
