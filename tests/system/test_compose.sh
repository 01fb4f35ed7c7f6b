#!/usr/bin/env bash
# Checks compose/docker-compose.yml (and the files it points at) without a Docker engine: it is
# parsed with a real YAML parser (Debian's python3-yaml, installed when missing) and must be a
# mapping with `services`, hold every service the README promises, publish ports on 127.0.0.1
# only, and name only repository paths that exist (build contexts, Dockerfiles, bind mounts).
# compose/prometheus.yml and the Grafana provisioning must be valid YAML too.
# Prints "ok   NAME" or "FAIL NAME" per check, then "N passed, N failed"; exits 1 on a failure.
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
import os
import sys

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
if ds is not None:
    urls = [d.get("url") for d in (ds.get("datasources") or [])] if isinstance(ds, dict) else []
    check("grafana datasource points at prometheus:9090", "http://prometheus:9090" in urls,
          "urls: %r" % urls)

fkconf = load(os.path.join(compose_dir, "faker-kafka.compose.yaml"))
if fkconf is not None:
    check("faker-kafka.compose.yaml points the daemon at kafka:19092",
          isinstance(fkconf, dict) and (fkconf.get("kafka") or {}).get("brokers") == "kafka:19092",
          "kafka: %r" % (fkconf.get("kafka") if isinstance(fkconf, dict) else fkconf))

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

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
