#!/usr/bin/env bash
# Headless Chromium and its driver from Debian's packages, for the site's browser tests
# (tests/test_site_browser.py drives /usr/bin/chromium through /usr/bin/chromedriver with
# Selenium; no browser is downloaded at run time). The fonts show the catalog's Chinese and
# emoji in screenshots. Skipped when both programs are already there.
set -euo pipefail
say() { echo "ci/chromium: $*" >&2; }

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  say "chromium and chromedriver present ($(chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  say "chromium or chromedriver missing, and no root apt-get to install them"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
say "installing chromium, chromium-driver and CJK/emoji fonts"
apt-get update -qq
apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei fonts-noto-color-emoji >/dev/null
say "installed $(chromium --version 2>/dev/null || echo chromium)"
