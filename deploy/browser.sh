#!/usr/bin/env bash
# The headless browser the phone-page test drives (test/integration/picker-page.test.ts):
# Debian's chromium, installed once when missing. Browsers are never downloaded by npm
# (playwright-core ships none); BROWSER_EXECUTABLE set → that browser is used instead.
source "$(dirname "$0")/lib/common.sh"

if [[ -n "${BROWSER_EXECUTABLE:-}" ]]; then
  [[ -x "$BROWSER_EXECUTABLE" ]] || die "BROWSER_EXECUTABLE=$BROWSER_EXECUTABLE is not an executable"
  exit 0
fi
[[ -x /usr/bin/chromium ]] || apt_install chromium
