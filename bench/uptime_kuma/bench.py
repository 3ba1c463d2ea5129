#!/usr/bin/env python3
"""Helper for run.sh: drives Uptime Kuma over Socket.IO (python-socketio) and measures it.

Written against Uptime Kuma 2.5.3. The client library uptime-kuma-api 1.2.1 (made for 1.23) does not
work with it: its add_monitor omits `conditions` (NOT NULL since 2.0), the `uploadBackup` import it
used is gone (backups were removed in 2.0), and its first call can race the server's connection
handler. So this script speaks the Socket.IO events itself, as the web UI does.

Subcommands:
  create URL N TARGET INTERVAL            create N HTTP monitors one by one with the `add` event (the UI
                                          path; the body is the 2.5.3 UI's defaults for an HTTP monitor).
  sample PID SECONDS STEP OUT.json        sample RSS / CPU of PID from /proc every STEP seconds.
  dashboard URL N                         log in like the web UI does and time how long until the
                                          monitor list, heartbeat lists and uptime / average-ping stats
                                          of all N monitors have arrived; also time GET /dashboard (the SPA shell).
  lateness DB START_EPOCH END_EPOCH INTERVAL   beat spacing stats from the heartbeat table.
"""
import json
import os
import sqlite3
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone

USER, PASS = "admin", "benchpass123"


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def connect(url, handlers=None):
    """A Socket.IO client connected to Kuma and ready for calls.

    Kuma registers its event handlers only after it has sent `info` to a new connection (it awaits a
    settings read first), so a call made right after connecting can be lost: wait for `info`."""
    import socketio

    sio = socketio.Client()
    ready = threading.Event()
    sio.on("info", lambda *_: ready.set())
    for name, fn in (handlers or {}).items():
        sio.on(name, fn)
    sio.connect(url, transports=["websocket"])
    if not ready.wait(30):
        raise RuntimeError("no `info` from Uptime Kuma within 30 s of connecting")
    return sio


def call(sio, event, *args, timeout=600):
    r = sio.call(event, args if len(args) > 1 else (args[0] if args else None), timeout=timeout)
    if isinstance(r, dict) and r.get("ok") is False:
        raise RuntimeError(f"{event}: {r.get('msg')}")
    return r


def http_monitor(name, url, interval):
    # The 2.5.3 UI's defaults for a new monitor (src/pages/EditMonitor.vue, monitorDefaults), as an
    # HTTP monitor with no retries; the timeout is the UI's default of 0.8 x interval.
    return {
        "type": "http", "name": name, "parent": None, "url": url, "wsSubprotocol": "", "method": "GET",
        "protocol": None, "location": "world", "ipFamily": None,
        "interval": interval, "retryInterval": interval, "resendInterval": 0, "maxretries": 0,
        "retryOnlyOnStatusCodeFailure": False, "timeout": interval * 0.8,
        "notificationIDList": {}, "ignoreTls": False, "upsideDown": False, "expiryNotification": False,
        "domainExpiryNotification": True, "maxredirects": 10, "accepted_statuscodes": ["200-299"],
        "saveResponse": False, "saveErrorResponse": True, "responseMaxLength": 1024,
        "dns_resolve_type": "A", "dns_resolve_server": "", "docker_container": "", "docker_host": None,
        "proxyId": None, "basic_auth_user": "", "basic_auth_pass": "", "bearer_token": "",
        "mqttUsername": "", "mqttPassword": "", "mqttTopic": "", "mqttWebsocketPath": "",
        "mqttSuccessMessage": "", "mqttCheckType": "keyword", "authMethod": None,
        "oauth_auth_method": "client_secret_basic", "httpBodyEncoding": "json",
        "kafkaProducerBrokers": [], "kafkaProducerSaslOptions": {"mechanism": "None"}, "cacheBust": False,
        "kafkaProducerSsl": False, "kafkaProducerAllowAutoTopicCreation": False,
        "gamedigGivenPortOnly": True, "gamedigToken": "", "remote_browser": None, "screenshot_delay": 0,
        "rabbitmqNodes": [], "rabbitmqUsername": "", "rabbitmqPassword": "", "conditions": [],
        "system_service_name": "", "ntpStratumThreshold": 5, "ntpTimeOffsetThreshold": 1000,
        "ntpRootDispersionThreshold": 500, "description": None,
    }


def server_monitors(url):
    """The monitor list a fresh login receives."""
    got = threading.Event()
    box = {}

    def on_list(data):
        box["list"] = data
        got.set()

    sio = connect(url, {"monitorList": on_list})
    call(sio, "login", {"username": USER, "password": PASS, "token": ""})
    got.wait(600)
    sio.disconnect()
    return list(box.get("list", {}).values())


def cmd_create(url, n, target, interval):
    sio = connect(url)
    if call(sio, "needSetup"):
        call(sio, "setup", USER, PASS)
    call(sio, "login", {"username": USER, "password": PASS, "token": ""})
    existing = len(server_monitors(url))
    res = {"preexisting": existing, "created": 0, "errors": 0}
    t0 = time.time()
    tb = t0
    batch = []
    for i in range(existing, n):
        try:
            call(sio, "add", http_monitor(f"bench-{i:05d}", f"{target}?m={i}", interval))
            res["created"] += 1
        except Exception as e:  # noqa: BLE001
            res["errors"] += 1
            print(f"add #{i} failed: {e!r}", flush=True)
        if (i + 1) % 250 == 0:
            now = time.time()
            batch.append(round(now - tb, 2))
            print(f"  add: {i + 1} monitors, last 250 took {now - tb:.1f}s", flush=True)
            tb = now
    res["create_seconds"] = round(time.time() - t0, 1)
    res["per_250_seconds"] = batch
    sio.disconnect()
    # count what the server really has
    mons = server_monitors(url)
    res["monitors_on_server"] = len(mons)
    res["active_on_server"] = sum(1 for m in mons if m.get("active"))
    print("CREATE_RESULT " + json.dumps(res), flush=True)


def read_proc(pid):
    with open(f"/proc/{pid}/stat") as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    threads = int(fields[17])
    rss_kb = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return ticks, rss_kb, threads


def read_sys():
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    vals = list(map(int, parts))
    idle = vals[3] + vals[4]
    return sum(vals), idle


def cmd_sample(pid, seconds, step, out):
    hz = os.sysconf("SC_CLK_TCK")
    ncpu = os.cpu_count()
    samples = []
    t_start = time.time()
    ticks0, _, _ = read_proc(pid)
    sys0 = read_sys()
    prev_t, prev_ticks, prev_sys = t_start, ticks0, sys0
    while time.time() - t_start < seconds:
        time.sleep(step)
        now = time.time()
        ticks, rss, thr = read_proc(pid)
        sysv = read_sys()
        cpu = (ticks - prev_ticks) / hz / (now - prev_t) * 100.0
        dtot = sysv[0] - prev_sys[0]
        sys_busy = (1 - (sysv[1] - prev_sys[1]) / dtot) * 100.0 if dtot else 0.0
        samples.append({"t": round(now - t_start, 1), "rss_mb": round(rss / 1024, 1),
                        "cpu_pct_of_one_core": round(cpu, 1), "machine_busy_pct": round(sys_busy, 1),
                        "threads": thr})
        print(f"  t={now - t_start:6.1f}s rss={rss / 1024:7.1f} MiB node_cpu={cpu:5.1f}% "
              f"machine_busy={sys_busy:5.1f}%", flush=True)
        prev_t, prev_ticks, prev_sys = now, ticks, sysv
    t_end = time.time()
    ticks_end, _, _ = read_proc(pid)
    sys_end = read_sys()
    rss = [s["rss_mb"] for s in samples]
    cpus = [s["cpu_pct_of_one_core"] for s in samples]
    res = {
        "window_start_epoch": t_start, "window_end_epoch": t_end, "samples": len(samples),
        "rss_mb_min": min(rss), "rss_mb_avg": round(sum(rss) / len(rss), 1), "rss_mb_max": max(rss),
        "node_cpu_pct_of_one_core_avg": round((ticks_end - ticks0) / hz / (t_end - t_start) * 100, 1),
        "node_cpu_pct_of_one_core_max_sample": max(cpus),
        "node_cpu_pct_of_machine_avg": round((ticks_end - ticks0) / hz / (t_end - t_start) * 100 / ncpu, 1),
        "machine_busy_pct_avg": round((1 - (sys_end[1] - sys0[1]) / (sys_end[0] - sys0[0])) * 100, 1),
        "ncpu": ncpu,
    }
    with open(out, "w") as f:
        json.dump({"summary": res, "samples": samples}, f, indent=1)
    print("SAMPLE_RESULT " + json.dumps(res), flush=True)


def cmd_dashboard(url, n):
    # SPA shell (index.html); the JS/CSS assets are static files and do not depend on monitor count.
    t = time.time()
    with urllib.request.urlopen(url + "/dashboard") as r:
        body = r.read()
    shell_ms = (time.time() - t) * 1000

    ev = {"monitorList": None, "hb": set(), "ihb": set(), "uptime24": set(), "uptime720": set(),
          "avgPing": set(), "avgPing_values": 0}
    first = {}
    done = threading.Event()
    t0 = [0.0]

    def mark(name):
        first.setdefault(name, round((time.time() - t0[0]) * 1000))

    def check():
        # After a login, 2.5.3 sends the monitor list, then for every monitor its last 100 beats
        # (heartbeatList) and its stats (avgPing, uptime for 24 h / 30 d / 1 y). The event list
        # (importantHeartbeatList) is no longer pushed; the UI pages it on demand.
        if (ev["monitorList"] is not None and len(ev["hb"]) >= n and len(ev["uptime24"]) >= n
                and len(ev["uptime720"]) >= n and len(ev["avgPing"]) >= n):
            mark("all_lists_and_stats")
            done.set()

    def _ml(data):
        ev["monitorList"] = len(data)
        mark("monitorList")
        check()

    def _hb(mid, data, overwrite=False):
        ev["hb"].add(int(mid))
        if len(ev["hb"]) >= n:
            mark("all_heartbeatList")
        check()

    def _ihb(mid, data, overwrite=False):
        ev["ihb"].add(int(mid))

    def _up(mid, period, value):
        key = {24: "uptime24", "24": "uptime24", 720: "uptime720", "720": "uptime720"}.get(period)
        if key:
            ev[key].add(int(mid))
            if len(ev[key]) >= n:
                mark("all_" + key)
        check()

    def _ap(mid, value):
        ev["avgPing"].add(int(mid))
        if value is not None:
            ev["avgPing_values"] += 1
        if len(ev["avgPing"]) >= n:
            mark("all_avgPing")
        check()

    sio = connect(url, {"monitorList": _ml, "heartbeatList": _hb, "importantHeartbeatList": _ihb,
                        "uptime": _up, "avgPing": _ap})
    t0[0] = time.time()
    r = sio.call("login", {"username": USER, "password": PASS, "token": ""}, timeout=600)
    login_ms = round((time.time() - t0[0]) * 1000)
    ok = done.wait(300)
    total_ms = round((time.time() - t0[0]) * 1000)
    sio.disconnect()
    res = {"spa_shell_ms": round(shell_ms, 1), "spa_shell_bytes": len(body),
           "login_ack_ms": login_ms, "login_ok": bool(r and r.get("ok")),
           "monitors_in_list": ev["monitorList"], "heartbeatList_monitors": len(ev["hb"]),
           "importantHeartbeatList_monitors": len(ev["ihb"]),
           "uptime24_monitors": len(ev["uptime24"]), "uptime720_monitors": len(ev["uptime720"]),
           "avgPing_monitors": len(ev["avgPing"]), "avgPing_non_null": ev["avgPing_values"],
           "complete": ok, "ms_since_login": first, "total_ms": total_ms}
    print("DASHBOARD_RESULT " + json.dumps(res), flush=True)


def cmd_lateness(db, start, end, interval):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)

    def iso(ep):
        return datetime.fromtimestamp(ep, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    rows = con.execute(
        "SELECT monitor_id, time, status, ping FROM heartbeat WHERE time >= ? ORDER BY monitor_id, time",
        (iso(start - 3 * interval),)).fetchall()
    statuses = {}
    pings = []
    gaps = []
    per_mon = {}
    beats_in_window = 0
    for mid, t, status, ping in rows:
        ts = datetime.strptime(t[:23], "%Y-%m-%d %H:%M:%S.%f" if "." in t else "%Y-%m-%d %H:%M:%S")
        ep = ts.replace(tzinfo=timezone.utc).timestamp()
        if start <= ep <= end:
            beats_in_window += 1
            statuses[status] = statuses.get(status, 0) + 1
            if ping is not None:
                pings.append(ping)
            prev = per_mon.get(mid)
            if prev is not None:
                gaps.append(ep - prev)
        per_mon[mid] = ep
    late = [g - interval for g in gaps]
    monitors_with_beats = len({r[0] for r in rows})
    down_msgs = con.execute(
        "SELECT msg, COUNT(*) FROM heartbeat WHERE status != 1 GROUP BY msg ORDER BY 2 DESC LIMIT 5").fetchall()
    window = end - start
    n_mon = con.execute("SELECT COUNT(*) FROM monitor WHERE active = 1").fetchone()[0]
    res = {
        "window_seconds": round(window, 1), "active_monitors": n_mon,
        "monitors_with_recent_beats": monitors_with_beats,
        "beats_in_window": beats_in_window,
        "expected_beats_at_exact_interval": round(n_mon * window / interval),
        "beats_per_second": round(beats_in_window / window, 2),
        "status_counts(1=up,0=down)": statuses,
        "gaps_measured": len(late),
        "lateness_s_p50": round(pct(late, 50), 3) if late else None,
        "lateness_s_p90": round(pct(late, 90), 3) if late else None,
        "lateness_s_p99": round(pct(late, 99), 3) if late else None,
        "lateness_s_max": round(max(late), 3) if late else None,
        "lateness_s_min": round(min(late), 3) if late else None,
        "ping_ms_p50": pct(pings, 50), "ping_ms_p99": pct(pings, 99),
        "top_non_up_msgs": down_msgs,
        "heartbeat_rows_total": con.execute("SELECT COUNT(*) FROM heartbeat").fetchone()[0],
    }
    print("LATENESS_RESULT " + json.dumps(res), flush=True)


if __name__ == "__main__":
    c, a = sys.argv[1], sys.argv[2:]
    if c == "create":
        cmd_create(a[0], int(a[1]), a[2], int(a[3]))
    elif c == "sample":
        cmd_sample(int(a[0]), float(a[1]), float(a[2]), a[3])
    elif c == "dashboard":
        cmd_dashboard(a[0], int(a[1]))
    elif c == "lateness":
        cmd_lateness(a[0], float(a[1]), float(a[2]), float(a[3]))
    else:
        sys.exit(__doc__)
