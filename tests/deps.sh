#!/bin/sh
# Installs the Debian packages that building, testing and the local stack need, when missing.
# Needs root for apt-get; without root it names what is missing and fails.
set -eu
pkgs="pkg-config gcc make librdkafka-dev libyajl-dev libmongoc-dev libyaml-dev
      libmicrohttpd-dev libpcre2-dev kcat python3-pymongo python3-yaml valgrind clang libclang-rt-14-dev
      chromium fonts-dejavu-core prometheus"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
