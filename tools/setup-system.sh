#!/usr/bin/env bash
# What the tests need beyond Python packages: Debian packages and the front end's npm dev deps.
# Called by `make deps` (so by `make test`) and by .ci/run, before `make` exists there.
#
#   as root     installs the missing Debian packages (apt-get) and runs `npm ci` in web/
#   otherwise   names exactly what is missing and the command that installs it; the tests that need
#               it then skip, and pytest's closing summary lists them ("skipped: N browser tests ...")
#
# A failed install is only a warning, unless DAYAFTER_REQUIRE_BROWSER=1 or DAYAFTER_REQUIRE_PDF=1
# (set by .ci/run): then the script exits 1, so CI never passes by skipping.
#
#   chromium                         browser tests (tests/e2e, Playwright drives the system Chromium)
#   libpango-1.0-0 libpangoft2-1.0-0 WeasyPrint's PDF report; libharfbuzz-subset0 embeds font subsets
#   fonts-dejavu-core                fonts for the report and the maps
#   poppler-utils                    pdftoppm/pdftotext/pdfimages check the PDF's pages
#   nodejs npm                       axe-core (the accessibility scan of the browser tests), vite
#   make python3-venv                `make` itself and the virtual environment
set -uo pipefail
cd "$(dirname "$0")/.."

strict=0
[ "${DAYAFTER_REQUIRE_BROWSER:-}" = 1 ] && strict=1
[ "${DAYAFTER_REQUIRE_PDF:-}" = 1 ] && strict=1

packages=(make python3-venv chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
          fonts-dejavu-core poppler-utils)

fail() {
    if [ "$strict" = 1 ]; then
        echo "setup-system: $* (DAYAFTER_REQUIRE_BROWSER/PDF=1: failing)" >&2
        exit 1
    fi
    echo "setup-system: $*" >&2
}

missing=()
if command -v dpkg >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
else
    # not Debian: check the commands and libraries the tests use instead of package names
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
    command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup-system: installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
            missing=()
        else
            fail "apt-get could not install ${missing[*]}: the tests that need them will skip"
        fi
    else
        fail "missing system packages: ${missing[*]} (install: sudo apt-get install ${missing[*]});" \
             "the tests that need them will skip"
    fi
fi

# axe-core (injected by the browser tests), vite and vitest (the front end's build and unit tests) come
# from the npm registry, pinned by the lock file
if [ ! -f web/node_modules/axe-core/axe.min.js ] || [ ! -f web/node_modules/vitest/package.json ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "setup-system: installing the front end's npm packages (web/package-lock.json)"
        # npm ci first; some npm versions reject the lock file's optional platform packages
        # (rollup), so fall back to npm install, which follows the same lock file
        (cd web && { npm ci --no-audit --no-fund --loglevel=silent \
                     || npm install --no-audit --no-fund --loglevel=error; }) \
            || fail "npm could not install web/'s packages: the accessibility scan will skip"
    else
        fail "npm is missing (apt-get install nodejs npm): the accessibility scan will skip"
    fi
fi
exit 0
