#!/usr/bin/env bash
# Debian's Chromium and a CJK font, for the test that renders the HTML settlement sheet.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
