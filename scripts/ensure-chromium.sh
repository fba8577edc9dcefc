#!/bin/sh
# Make sure a Chromium the browser tests can drive is installed (Debian's package, not a
# downloaded browser build: this machine only reaches package registries).
set -e
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing: installing Debian's chromium package" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  exit 0
fi
echo "chromium is missing: install it (e.g. 'sudo apt-get install chromium') to run browser tests" >&2
exit 1
