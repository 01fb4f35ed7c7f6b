#!/usr/bin/env bash
# fk-test: static (needs no server)
# Checks compose/docker-compose.yml (and the files it points at) without a Docker engine: it is
# parsed with a real YAML parser (Debian's python3-yaml, installed when missing) and must be a
# mapping with `services`, hold every service the README promises, publish ports on 127.0.0.1
# only, and name only repository paths that exist (build contexts, Dockerfiles, bind mounts).
# compose/prometheus.yml and the Grafana provisioning must be valid YAML too; promtool (Debian
# package prometheus), when installed, must accept prometheus.yml without a warning.
# compose/faker-kafka.compose.yaml must have the daemon listen on 0.0.0.0:9464 and use
# mongodb://mongodb:27017/, and $FK_BIN -t (build/faker-kafkad by default), when built, accept it.
# The Grafana dashboard (compose/grafana/dashboards/faker-kafka.json) must be valid JSON with the
# required fields, its provider's path must be the read-only mount of that folder, every panel and
# query must use the datasource uid "prometheus", every PromQL expression must name only
# faker-kafkad's metric families (histograms through _bucket/_sum/_count), every family must be
# shown, and every expression must parse: promtool check rules on a generated file with one
# recording rule per expression ($__rate_interval and Grafana's other $__ variables set to 1m).
# Prints "ok   NAME", "FAIL NAME" or "skip NAME (why)" per check, then "N passed, N failed"; exits 1
# on a failure.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3   # Debian's python, where python3-yaml lives (not a pyenv one on PATH)

if ! "$PY" -c 'import yaml' 2>/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends python3-yaml; } >/dev/null 2>&1
    fi
fi
if ! "$PY" -c 'import yaml' 2>/dev/null; then
    echo "FAIL python3-yaml available"
    echo "  $PY cannot import yaml and it could not be installed (apt-get install python3-yaml)"
    echo "0 passed, 1 failed"
    exit 1
fi

# The checks run in Python (the parser is there); each prints its own ok/FAIL line and the
# summary line is printed from the counts.
exec "$PY" - "$root" <<'PYEOF'
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

root = sys.argv[1]
compose_dir = os.path.join(root, "compose")
compose_file = os.path.join(compose_dir, "docker-compose.yml")
passed = failed = 0


def ok(name):
    global passed
    passed += 1
    print("ok   " + name)


def fail(name, *details):
    global failed
    failed += 1
    print("FAIL " + name)
    for d in details:
        print("  " + str(d))


def skip(name, why):
    print("skip %s (%s)" % (name, why))


def check(name, cond, *details):
    if cond:
        ok(name)
    else:
        fail(name, *details)
    return cond


def load(path):
    """Parsed YAML of path, or None after a FAIL line."""
    rel = os.path.relpath(path, root)
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except FileNotFoundError:
        fail(rel + " exists", "missing: " + path)
        return None
    except yaml.YAMLError as e:
        fail(rel + " is valid YAML", str(e).replace("\n", " "))
        return None
    ok(rel + " is valid YAML")
    return doc


def inside_repo(path):
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


# --- docker-compose.yml ------------------------------------------------------------------------
doc = load(compose_file)
services = {}
if doc is not None:
    if check("compose: top level is a mapping with services",
             isinstance(doc, dict) and isinstance(doc.get("services"), dict),
             "top level: %s, services: %s" % (type(doc).__name__,
                                              type(doc.get("services") if isinstance(doc, dict) else None).__name__)):
        services = doc["services"]

expected_images = {
    "kafka": "apache/kafka:3.9.1",
    "mongodb": "mongo:7",
    "ksqldb-server": "confluentinc/ksqldb-server:0.29.0",
    "ksqldb-cli": "confluentinc/ksqldb-cli:0.29.0",
}
for name in ["kafka", "mongodb", "ksqldb-server", "ksqldb-cli", "prometheus", "grafana", "faker-kafkad"]:
    svc = services.get(name)
    check("compose: service %s exists" % name, isinstance(svc, dict),
          "services: " + ", ".join(sorted(services)) if services else "no services")
for name, image in expected_images.items():
    svc = services.get(name) or {}
    check("compose: %s image is %s" % (name, image), svc.get("image") == image,
          "image: %r" % svc.get("image"))

fk = services.get("faker-kafkad") or {}
check("compose: faker-kafkad is built from compose/Dockerfile",
      isinstance(fk.get("build"), dict)
      and os.path.realpath(os.path.join(compose_dir, fk["build"].get("context", "."),
                                        fk["build"].get("dockerfile", "Dockerfile")))
      == os.path.realpath(os.path.join(compose_dir, "Dockerfile")),
      "build: %r" % fk.get("build"))


def published(port):
    """(host_ip, text) of one entry of ports:, host_ip None when the port is not published."""
    if isinstance(port, dict):  # long syntax
        if "published" not in port:
            return None, repr(port)
        return port.get("host_ip", ""), repr(port)
    text = str(port)
    # short syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]; IPv6 host addresses in [].
    if text.startswith("["):
        return text[1:text.index("]")], text
    parts = text.split(":")
    if len(parts) == 3:
        return parts[0], text
    return "", text  # "HOST:CONTAINER" or "CONTAINER": bound on every address


bad_ports, n_ports = [], 0
for name, svc in services.items():
    for port in (svc or {}).get("ports", []) or []:
        ip, text = published(port)
        if ip is None:
            continue
        n_ports += 1
        if ip != "127.0.0.1":
            bad_ports.append("%s: %s" % (name, text))
check("compose: every published port binds 127.0.0.1 (%d ports)" % n_ports,
      n_ports > 0 and not bad_ports, *(bad_ports or ["no published ports found"]))


def repo_paths():
    """(service, what, path) of every build context, Dockerfile and bind mount in the file."""
    for name, svc in services.items():
        svc = svc or {}
        build = svc.get("build")
        if build is not None:
            ctx = build if isinstance(build, str) else build.get("context", ".")
            ctx_path = os.path.join(compose_dir, ctx)
            yield name, "build context", ctx_path
            if isinstance(build, dict):
                yield name, "dockerfile", os.path.join(ctx_path, build.get("dockerfile", "Dockerfile"))
        for vol in svc.get("volumes", []) or []:
            if isinstance(vol, dict):
                if vol.get("type") == "bind":
                    yield name, "bind mount", os.path.join(compose_dir, vol["source"])
                continue
            src = str(vol).split(":")[0]
            if src.startswith((".", "/", "~")):
                yield name, "bind mount", os.path.join(compose_dir, os.path.expanduser(src))


missing, outside, n_paths = [], [], 0
for name, what, path in repo_paths():
    n_paths += 1
    if not inside_repo(path):
        outside.append("%s: %s %s is outside the repository" % (name, what, path))
    elif not os.path.exists(path):
        missing.append("%s: %s %s does not exist" % (name, what, os.path.relpath(path, root)))
check("compose: every build/volume path in the repository exists (%d paths)" % n_paths,
      n_paths > 0 and not missing, *(missing or ["no paths found"]))
check("compose: no bind mount or build path outside the repository", not outside, *outside)

# named volumes used by services are declared at the top level
declared = set((doc or {}).get("volumes") or {}) if isinstance(doc, dict) else set()
undeclared = []
for name, svc in services.items():
    for vol in (svc or {}).get("volumes", []) or []:
        if isinstance(vol, str):
            src = vol.split(":")[0]
            if ":" in vol and not src.startswith((".", "/", "~")) and src not in declared:
                undeclared.append("%s: %s" % (name, src))
check("compose: named volumes are declared", not undeclared, *undeclared)

# --- the files it points at --------------------------------------------------------------------
prom = load(os.path.join(compose_dir, "prometheus.yml"))
if prom is not None:
    targets = []
    for sc in (prom.get("scrape_configs") or []) if isinstance(prom, dict) else []:
        for st in sc.get("static_configs") or []:
            for t in st.get("targets") or []:
                targets.append((t, sc.get("metrics_path", "/metrics")))
    check("prometheus.yml scrapes faker-kafkad:9464/metrics",
          ("faker-kafkad:9464", "/metrics") in targets, "targets: %r" % targets)

ds = load(os.path.join(compose_dir, "grafana", "provisioning", "datasources", "prometheus.yml"))
ds_uids = []
if ds is not None:
    dss = [d for d in (ds.get("datasources") or []) if isinstance(d, dict)] if isinstance(ds, dict) else []
    urls = [d.get("url") for d in dss]
    check("grafana datasource points at prometheus:9090", "http://prometheus:9090" in urls,
          "urls: %r" % urls)
    ds_uids = [d.get("uid") for d in dss if d.get("type") == "prometheus"]
    check('grafana datasource: a prometheus datasource with uid "prometheus"', "prometheus" in ds_uids,
          "prometheus datasource uids: %r" % ds_uids)

fkconf = load(os.path.join(compose_dir, "faker-kafka.compose.yaml"))
if fkconf is not None:
    check("faker-kafka.compose.yaml points the daemon at kafka:19092",
          isinstance(fkconf, dict) and (fkconf.get("kafka") or {}).get("brokers") == "kafka:19092",
          "kafka: %r" % (fkconf.get("kafka") if isinstance(fkconf, dict) else fkconf))
    http = (fkconf.get("http") or {}) if isinstance(fkconf, dict) else {}
    check("faker-kafka.compose.yaml: /metrics listens on 0.0.0.0:9464 (Prometheus scrapes faker-kafkad:9464)",
          isinstance(http, dict) and http.get("address") == "0.0.0.0"
          and http.get("port", 9464) == 9464 and http.get("enabled", True) is True,
          "http: %r" % (http,))
    mongo = (fkconf.get("mongo") or {}) if isinstance(fkconf, dict) else {}
    check("faker-kafka.compose.yaml: MongoDB at mongodb://mongodb:27017/",
          isinstance(mongo, dict) and str(mongo.get("uri", "")).startswith("mongodb://mongodb:27017/"),
          "mongo: %r" % (mongo,))

# The daemon itself accepts the file (every key known, every value valid): -t with FK_BIN, the
# binary the other system tests use (build/faker-kafkad by default), when it has been built.
fk_bin = os.environ.get("FK_BIN") or os.path.join(root, "build", "faker-kafkad")
if not os.path.isabs(fk_bin):
    fk_bin = os.path.join(root, fk_bin)
if os.access(fk_bin, os.X_OK):
    r = subprocess.run([fk_bin, "-t", "-c", os.path.join(compose_dir, "faker-kafka.compose.yaml"),
                        "-r", os.path.join(root, "rules", "custdq.yaml")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    check("faker-kafkad -t accepts faker-kafka.compose.yaml", r.returncode == 0,
          "exit %d: %s" % (r.returncode, r.stdout.strip()))
else:
    skip("faker-kafkad -t accepts faker-kafka.compose.yaml",
         "%s not built" % (os.path.relpath(fk_bin, root) if inside_repo(fk_bin) else fk_bin))

dockerfile = os.path.join(compose_dir, "Dockerfile")
try:
    lines = [l.strip() for l in open(dockerfile, encoding="utf-8")]
except OSError as e:
    lines = []
    fail("compose/Dockerfile exists", str(e))
if lines:
    check("Dockerfile starts FROM debian:bookworm",
          next((l for l in lines if l and not l.startswith("#")), "") == "FROM debian:bookworm")
    text = "\n".join(lines)
    pkgs = ["build-essential", "pkg-config", "librdkafka-dev", "libyajl-dev", "libmongoc-dev",
            "libyaml-dev", "libmicrohttpd-dev"]
    absent = [p for p in pkgs if p not in text.split()]
    check("Dockerfile installs the build dependencies", not absent, *["missing: " + p for p in absent])
    copies = [l.split()[1] for l in lines if l.startswith("COPY ") and not l.split()[1].startswith("--")]
    gone = [c for c in copies if not os.path.exists(os.path.join(root, c))]
    check("Dockerfile COPY sources exist in the repository", copies and not gone,
          *["missing: " + c for c in gone])
    check("Dockerfile runs build/faker-kafkad -f -c /etc/faker-kafka/faker-kafka.yaml -r /etc/faker-kafka/rules.yaml",
          'CMD ["build/faker-kafkad", "-f", "-c", "/etc/faker-kafka/faker-kafka.yaml", "-r", "/etc/faker-kafka/rules.yaml"]' in lines)

# --- Grafana dashboard provisioning ----------------------------------------------------------
# The dashboard provider (provisioning/dashboards/*.yml) reads a folder inside the container; that
# folder must be a read-only bind mount of compose/grafana/dashboards in the grafana service, and
# the provider file itself must reach /etc/grafana/provisioning/dashboards through the
# provisioning mount.
grafana = services.get("grafana") or {}


def bind_mounts(svc):
    """[(host_path, container_path, read_only)] of a service's bind mounts."""
    out = []
    for vol in (svc or {}).get("volumes", []) or []:
        if isinstance(vol, dict):
            if vol.get("type") == "bind":
                out.append((os.path.join(compose_dir, vol["source"]), vol.get("target", ""),
                            bool(vol.get("read_only"))))
            continue
        parts = str(vol).split(":")
        if len(parts) >= 2 and parts[0].startswith((".", "/", "~")):
            out.append((os.path.join(compose_dir, os.path.expanduser(parts[0])), parts[1],
                        len(parts) > 2 and "ro" in parts[2].split(",")))
    return out


def host_path(svc, container_path):
    """(host path, read_only) that container_path of svc shows, or (None, False): longest mount wins."""
    best = None
    for host, target, ro in bind_mounts(svc):
        target = target.rstrip("/") or "/"
        if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
            if best is None or len(target) > len(best[1]):
                best = (host, target, ro)
    if best is None:
        return None, False
    rest = container_path[len(best[1]):].lstrip("/")
    return os.path.realpath(os.path.join(best[0], rest)), best[2]


dash_dir = os.path.join(compose_dir, "grafana", "dashboards")
dash_file = os.path.join(dash_dir, "faker-kafka.json")
prov_file = os.path.join(compose_dir, "grafana", "provisioning", "dashboards", "faker-kafka.yml")
prov = load(prov_file)
provider_paths = []
if prov is not None:
    providers = [p for p in (prov.get("providers") or []) if isinstance(p, dict)] if isinstance(prov, dict) else []
    check("grafana dashboard provisioning: apiVersion 1 with a file provider",
          isinstance(prov, dict) and prov.get("apiVersion") == 1
          and any(p.get("type", "file") == "file" for p in providers),
          "apiVersion: %r, providers: %r" % (prov.get("apiVersion") if isinstance(prov, dict) else None, providers))
    provider_paths = [(p.get("options") or {}).get("path") for p in providers if p.get("type", "file") == "file"]
    seen = []
    for path in provider_paths:
        host, ro = host_path(grafana, path) if isinstance(path, str) else (None, False)
        seen.append("%r -> %r%s" % (path, host and os.path.relpath(host, root), " (ro)" if ro else ""))
        check("grafana dashboard provider path %s is compose/grafana/dashboards mounted read-only" % path,
              host == os.path.realpath(dash_dir) and ro, *seen)
    host, _ = host_path(grafana, "/etc/grafana/provisioning/dashboards/faker-kafka.yml")
    check("grafana service mounts the dashboard provider at /etc/grafana/provisioning/dashboards",
          host == os.path.realpath(prov_file), "resolves to %r" % host)
home = ((grafana.get("environment") or {}) if isinstance(grafana.get("environment"), dict) else {}) \
    .get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
if home is not None:
    host, _ = host_path(grafana, home)
    check("grafana home dashboard %s is compose/grafana/dashboards/faker-kafka.json" % home,
          host == os.path.realpath(dash_file), "resolves to %r" % host)

METRICS = {
    "faker_kafka_build_info", "faker_kafka_start_time_seconds",
    "faker_kafka_generated_records_total", "faker_kafka_produced_records_total",
    "faker_kafka_produce_failed_records_total", "faker_kafka_consumed_records_total",
    "faker_kafka_checks_total", "faker_kafka_labelled_records_total", "faker_kafka_dlq_records_total",
    "faker_kafka_sink_documents_total", "faker_kafka_sink_write_failures_total",
    "faker_kafka_notifications_total", "faker_kafka_consumer_lag_records",
    "faker_kafka_rules_generation", "faker_kafka_rules_reloads_total",
}
HISTOGRAMS = {"faker_kafka_verdict_latency_seconds"}
SERIES = METRICS | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr):
    """(metric names, problems) of a PromQL expression: what is left once strings, label
    matchers, ranges, grouping clauses and Grafana variables are taken out, minus function
    names (followed by "(") and keywords."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    s = re.sub(r"\$\{?\w+\}?", " ", s)
    s = re.sub(r"\{[^{}]*\}", " ", s)
    s = re.sub(r"\[[^\[\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", s)
    s = re.sub(r"\b(group_left|group_right)\b", " ", s)
    names = []
    for m in re.finditer(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?", s):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue
        names.append(m.group(1))
    problems = ["unknown metric %s" % n for n in names if n not in SERIES]
    if not names:
        problems.append("no metric name")
    if "histogram_quantile" in expr:
        if not any(n.endswith("_bucket") for n in names):
            problems.append("histogram_quantile without a _bucket series")
        groupings = re.findall(r"\b(by|without)\s*\(([^()]*)\)", expr)
        drops_le = any((kw == "by") != ("le" in re.split(r"[\s,]+", labels)) for kw, labels in groupings)
        if drops_le or (not groupings and re.search(r"\b(sum|avg|min|max)\s*\(", expr)):
            problems.append("histogram_quantile of an aggregation that drops le")
    return names, problems


def walk_panels(panels):
    for p in panels or []:
        if isinstance(p, dict):
            yield p
            yield from walk_panels(p.get("panels"))


dash = None
try:
    with open(dash_file, encoding="utf-8") as f:
        dash = json.load(f)
    ok("compose/grafana/dashboards/faker-kafka.json is valid JSON")
except FileNotFoundError:
    fail("compose/grafana/dashboards/faker-kafka.json exists", "missing: " + dash_file)
except ValueError as e:
    fail("compose/grafana/dashboards/faker-kafka.json is valid JSON", str(e))
if dash is not None and not isinstance(dash, dict):
    fail("dashboard: top level is an object", type(dash).__name__)
    dash = None

exprs = []  # (panel id, panel title, refId, expr)
if dash is not None:
    uid = dash.get("uid")
    check("dashboard: uid is set (letters, digits, - and _, at most 40)",
          isinstance(uid, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid), "uid: %r" % uid)
    check('dashboard: title is "faker-kafkad data quality"', dash.get("title") == "faker-kafkad data quality",
          "title: %r" % dash.get("title"))
    check("dashboard: schemaVersion of Grafana 11 (>= 39)",
          isinstance(dash.get("schemaVersion"), int) and dash["schemaVersion"] >= 39,
          "schemaVersion: %r" % dash.get("schemaVersion"))
    check("dashboard: refresh 5s", dash.get("refresh") == "5s", "refresh: %r" % dash.get("refresh"))
    check("dashboard: time range now-15m to now", dash.get("time") == {"from": "now-15m", "to": "now"},
          "time: %r" % dash.get("time"))
    check("dashboard: no id and no __inputs (provisioned as is, not an export for sharing)",
          dash.get("id") is None and "__inputs" not in dash,
          "id: %r, __inputs: %r" % (dash.get("id"), "__inputs" in dash))

    panels = list(walk_panels(dash.get("panels")))
    ids = [p.get("id") for p in panels]
    check("dashboard: %d panels with unique integer ids" % len(panels),
          panels and all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids), "ids: %r" % ids)

    # Layout: every panel on the 24-column grid, none overlapping (rows of collapsed rows aside).
    cells, bad_grid = {}, []
    for p in walk_panels(dash.get("panels")):
        g = p.get("gridPos") or {}
        if not all(isinstance(g.get(k), int) for k in ("x", "y", "w", "h")) \
                or g["x"] < 0 or g["y"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > 24:
            bad_grid.append("panel %r %r: gridPos %r" % (p.get("id"), p.get("title"), g))
            continue
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    bad_grid.append("panel %r overlaps panel %r at x=%d y=%d" % (p.get("id"), cells[(x, y)], x, y))
                    break
                cells[(x, y)] = p.get("id")
            else:
                continue
            break
    check("dashboard: every panel has a gridPos inside 24 columns, none overlapping", not bad_grid, *bad_grid)

    bad_ds, bad_targets = [], []
    for p in panels:
        name = "panel %r %r" % (p.get("id"), p.get("title"))
        if p.get("type") == "row":
            if p.get("targets"):
                bad_targets.append(name + ": a row with queries")
            continue
        dsp = p.get("datasource")
        if not (isinstance(dsp, dict) and dsp.get("uid") == "prometheus" and dsp.get("type", "prometheus") == "prometheus"):
            bad_ds.append("%s: datasource %r" % (name, dsp))
        targets = p.get("targets") or []
        if not p.get("title") or not p.get("type") or not targets:
            bad_targets.append(name + ": needs a type, a title and queries")
        refs = [t.get("refId") for t in targets if isinstance(t, dict)]
        if len(set(refs)) != len(targets) or not all(refs):
            bad_targets.append("%s: refIds %r are not unique" % (name, refs))
        for t in targets:
            if not isinstance(t, dict):
                continue
            dst = t.get("datasource", dsp)
            if not (isinstance(dst, dict) and dst.get("uid") == "prometheus"):
                bad_ds.append("%s %s: datasource %r" % (name, t.get("refId"), dst))
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                bad_targets.append("%s %s: no expr" % (name, t.get("refId")))
            else:
                exprs.append((p.get("id"), p.get("title"), t.get("refId"), t["expr"]))
    check("dashboard: every panel and query uses the datasource uid \"prometheus\"", not bad_ds, *bad_ds)
    check("dashboard: every panel has a title and queries with unique refIds and an expr",
          not bad_targets, *bad_targets)
    if ds_uids:
        check("dashboard: its datasource uid is the provisioned one", "prometheus" in ds_uids)

    bad_names, used = [], set()
    for pid, title, ref, expr in exprs:
        names, problems = metric_names(expr)
        used.update(names)
        bad_names += ["panel %r %r %s: %s in %s" % (pid, title, ref, pr, " ".join(expr.split()))
                      for pr in problems]
    check("dashboard: %d PromQL expressions reference only faker-kafkad's metric families" % len(exprs),
          exprs and not bad_names, *(bad_names or ["no expressions"]))
    base = {n for n in used if n in METRICS} | {h for h in HISTOGRAMS if any(n.startswith(h + "_") for n in used)}
    unused = sorted((METRICS | HISTOGRAMS) - base)
    check("dashboard: every metric family of /metrics has a panel", not unused,
          *["not shown: " + n for n in unused])
    # The built-in dashboard's pass rates: pass / (pass + fail) per dimension and per rule over
    # the last 1, 5 and 15 minutes.
    missing_rates = []
    for by in ("dimension", "rule"):
        for w in ("1m", "5m", "15m"):
            if not any(re.search(r'faker_kafka_checks_total\{result="pass"\}\[%s\]' % w, e)
                       and re.search(r"\bby\s*\([^()]*\b%s\b" % by, e) and "/" in e
                       for _, _, _, e in exprs):
                missing_rates.append("no pass rate per %s over [%s]" % (by, w))
    check("dashboard: pass rate per dimension and per rule over [1m], [5m] and [15m]",
          not missing_rates, *missing_rates)

    # The name check itself must catch an unknown metric and a bare histogram name.
    check("the PromQL name check rejects unknown metrics",
          metric_names('sum(rate(faker_kafka_bogus_total{a="b"}[5m]))')[1]
          and metric_names("histogram_quantile(0.9, sum by (le) (rate(faker_kafka_verdict_latency_seconds[5m])))")[1]
          and not metric_names('sum by (rule) (increase(faker_kafka_checks_total{result="pass"}[$__rate_interval])) or vector(0)')[1])

# --- promtool: the Prometheus configuration and the syntax of every dashboard expression ------
promtool = shutil.which("promtool")
if promtool is None:
    skip("promtool check config compose/prometheus.yml", "promtool not installed: Debian package prometheus")
    skip("promtool check rules: every dashboard expression parses", "promtool not installed")
else:
    r = subprocess.run([promtool, "check", "config", os.path.join(compose_dir, "prometheus.yml")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    noise = [l for l in r.stdout.splitlines()
             if l.strip() and not l.startswith("Checking ") and not l.strip().startswith("SUCCESS:")]
    check("promtool check config compose/prometheus.yml (no errors, no warnings)",
          r.returncode == 0 and not noise, "exit %d" % r.returncode, *r.stdout.strip().splitlines())

    def promtool_rules(items):
        """(exit code, output) of promtool check rules on one recording rule per expression,
        Grafana's $__rate_interval, $__interval, ... replaced by 1m."""
        rules = [{"record": "faker_kafka_dashboard:panel_%s_%s" % (pid, ref),
                  "expr": re.sub(r"\$\{?__\w+\}?", "1m", expr)} for pid, _, ref, expr in items]
        with tempfile.NamedTemporaryFile("w", suffix=".rules.yml", delete=False) as f:
            yaml.safe_dump({"groups": [{"name": "faker-kafka-dashboard", "rules": rules}]}, f)
        try:
            r = subprocess.run([promtool, "check", "rules", f.name], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=120)
        finally:
            os.unlink(f.name)
        return r.returncode, r.stdout

    if exprs:
        rc, out = promtool_rules(exprs)
        warnings = [l for l in out.splitlines() if "warn" in l.lower()]
        details = []
        if rc != 0:  # one at a time, to name the expressions promtool rejects
            for item in exprs:
                rc1, out1 = promtool_rules([item])
                if rc1 != 0:
                    details.append("panel %r %r %s: %s" % (item[0], item[1], item[2], " ".join(item[3].split())))
                    details += ["  " + l for l in out1.strip().splitlines() if l.strip()]
        check("promtool check rules: all %d dashboard expressions parse" % len(exprs),
              rc == 0 and not warnings, *(details + warnings or out.strip().splitlines()))
    rc, out = promtool_rules([(0, "", "bad", "sum(rate(faker_kafka_checks_total[$__rate_interval])")])
    check("promtool check rules rejects a malformed expression", rc != 0, out.strip())

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
