#!/usr/bin/env bash
# The browser tier's one host need: Debian's Chromium, driven by playwright-core (whose own browser download
# cannot be reached from here). Sourced by scripts/test.sh only: bringing the server up never needs a browser.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null || { echo "could not install chromium" >&2; return 1 2>/dev/null || exit 1; }
fi
