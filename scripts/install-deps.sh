#!/usr/bin/env bash
# Installs what building and testing DynaCache needs, and only what is missing.
# Debian packages: Redis, hiredis, SQLite headers, curl, Chromium (the dashboard test runs it headless). Python: boto3, moto's server, pytest (pinned).
set -euo pipefail

apt_packages=(redis-server redis-tools libhiredis-dev libsqlite3-dev curl chromium)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
pip_pins=("boto3==1.43.11" "botocore==1.43.11" "awscli==1.45.11" "moto[server]==5.2.1" "pytest==9.0.3" "hypothesis==6.155.2" "pytest-timeout==2.4.0")
if ! "$PYTHON" - <<'PY' >/dev/null 2>&1
import importlib.metadata as m
want = {"boto3": "1.43.11", "botocore": "1.43.11", "awscli": "1.45.11", "moto": "5.2.1", "pytest": "9.0.3", "hypothesis": "6.155.2", "pytest-timeout": "2.4.0", "flask": None, "flask-cors": None}
for name, version in want.items():
    have = m.version(name)
    assert version is None or have == version, name
PY
then
  echo "install-deps: pip install ${pip_pins[*]}"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "${pip_pins[@]}"
fi
