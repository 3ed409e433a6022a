# Shared set-up for scripts/demo and scripts/test: a virtualenv in .venv with
# roomwatch installed (editable) and the requested extras. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOMWATCH_VENV:-$ROOT/.venv}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "roomwatch: need root (or sudo) to run: $*" >&2; return 1; fi
}

# Another apt (unattended-upgrades, a second terminal) may hold the dpkg
# lock: wait up to this many seconds for it instead of failing at once.
APT_LOCK_TIMEOUT="${ROOMWATCH_APT_LOCK_TIMEOUT:-300}"

apt_install() {
  # Install Debian packages that are missing; one apt-get update per run.
  local missing=()
  local wait=(-o "DPkg::Lock::Timeout=$APT_LOCK_TIMEOUT")
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "roomwatch: installing Debian packages: ${missing[*]}" >&2
  if [ -z "${_RW_APT_UPDATED:-}" ]; then as_root apt-get "${wait[@]}" update -qq; _RW_APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${wait[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for py in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$py" ] || continue
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  echo "roomwatch: Python 3.11 or newer is required (set PYTHON=...)" >&2
  return 1
}

setup_venv() {
  local extras="${1:-}"
  if [ ! -x "$VENV/bin/python" ]; then
    local py; py="$(find_python)"
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      # Debian splits venv out of the interpreter package.
      rm -rf "$VENV"
      command -v dpkg >/dev/null 2>&1 && apt_install python3-venv
      "$py" -m venv "$VENV"
    fi
  fi
  local spec="$ROOT"
  [ -n "$extras" ] && spec="$ROOT[$extras]"
  # Re-install only when pyproject.toml changed since the last install.
  local stamp="$VENV/.roomwatch-installed-$extras"
  if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ] ||
     [ "$ROOT/constraints.txt" -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    # constraints.txt pins the tested versions (reproducible installs);
    # ROOMWATCH_NO_CONSTRAINTS=1 takes the newest versions pyproject.toml allows.
    local constraints=()
    if [ -z "${ROOMWATCH_NO_CONSTRAINTS:-}" ] && [ -f "$ROOT/constraints.txt" ]; then
      constraints=(-c "$ROOT/constraints.txt")
    fi
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check ${constraints[@]+"${constraints[@]}"} -e "$spec"
    touch "$stamp"
  fi
}
