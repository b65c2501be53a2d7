#!/usr/bin/env bash
# CJK fonts and PDF tools for the printed settlement sheets: Debian's Noto CJK and WenQuanYi
# fonts (the sheets name both; WenQuanYi Zen Hei is embedded in the PDF) and poppler-utils
# (pdftotext, pdfinfo, pdffonts) with which the tests read the PDF back.
set -euo pipefail
if dpkg -s fonts-noto-cjk fonts-wqy-zenhei poppler-utils >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq fonts-noto-cjk fonts-wqy-zenhei poppler-utils >/dev/null
