#!/usr/bin/env bash
# The Mini App's browser test (tests/web/test_browser.py) drives Debian's chromium headless through
# Playwright's Python package, which never downloads a browser of its own. This installs chromium
# (and an emoji font, for the page's status icons in screenshots) from Debian's packages when missing.
# .ci/run calls it before the suites and exports CI=true, so a chromium that is still missing fails
# the test instead of skipping it.
set -euo pipefail

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
if [ ${#missing[@]} -eq 0 ]; then
    echo "browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1 || true)"
    exit 0
fi
echo "browser: installing ${missing[*]} from Debian's packages"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "browser: $(/usr/bin/chromium --version 2>/dev/null | head -n 1 || true)"
