#!/usr/bin/env bash
# Set up gradcalc in ./.venv: Graphviz's `dot` (for images) where it is missing, then the package.
#   scripts/setup.sh          gradcalc itself
#   scripts/setup.sh --test   gradcalc and what its tests need
# A regular (non-editable) install, so what runs is what users get.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

apt_install() {
  command -v apt-get >/dev/null || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v dot >/dev/null; then
  echo "setup: installing Graphviz (dot) for SVG/PNG/PDF images" >&2
  apt_install graphviz || echo "setup: could not install Graphviz; install it yourself for images" \
    "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz, Fedora: dnf install graphviz)." \
    ".dot output, tables and JSON work without it." >&2
fi

if [ "${1:-}" = "--test" ] && ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  # The live page's tests drive a real headless browser: the system's Chromium, never a downloaded one.
  echo "setup: installing Chromium and its driver for the browser tests" >&2
  apt_install chromium chromium-driver || echo "setup: could not install Chromium; the browser tests will skip" \
    "(Debian/Ubuntu: apt-get install chromium chromium-driver)." >&2
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "setup: installing python3-venv" >&2
  apt_install python3-venv
fi

"$PYTHON" -m venv .venv
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check ".${extra}"
echo "setup: gradcalc is in .venv/bin/gradcalc" >&2
