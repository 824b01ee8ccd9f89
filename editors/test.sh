#!/usr/bin/env bash
# Tests the editor support in editors/:
#   - VS Code: TextMate grammar tests (vscode-tmgrammar-test) and the
#     TypeScript build of the language client;
#   - Emacs: byte-compilation of duet-mode.el with warnings as errors, and
#     the ERT tests (indentation fixture, faces, syntax, eglot entry);
#   - Vim: indentation fixtures and syntax groups;
#   - duet fmt: when DUET names a duet binary, the indentation samples in
#     editors/test/ (which the Emacs and Vim tests re-indent and type) must be
#     fixed points of `$DUET fmt -`, so that the editors agree with the
#     formatter on them.
#
# Needs node and npm.  Installs emacs-nox and vim with apt-get when they are
# missing, and the extension's npm dependencies with `npm ci`.
# Exits non-zero when any step fails.
#
#   DUET=target/debug/duet editors/test.sh

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
failures=()

step() {
  local name="$1"
  shift
  echo "=== $name"
  if "$@"; then
    echo "--- ok: $name"
    passed=$((passed + 1))
  else
    echo "--- FAILED: $name"
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "need root (or sudo) to run: $*" >&2
    return 1
  fi
}

# --- dependencies -----------------------------------------------------------

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool is required to test the VS Code extension" >&2
    exit 2
  fi
done

missing=()
command -v emacs >/dev/null 2>&1 || missing+=(emacs-nox)
command -v vim >/dev/null 2>&1 || missing+=(vim)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "=== installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

echo "=== npm ci (editors/vscode)"
(cd "$here/vscode" && npm ci --no-audit --no-fund)

# --- duet fmt ---------------------------------------------------------------

# The formatter is the reference for indentation: every sample the editors
# are tested against must come out of `duet fmt` unchanged.
fmt_samples() {
  if [ ! -x "$DUET" ]; then
    echo "DUET=$DUET is not an executable" >&2
    return 1
  fi
  local status=0 sample
  for sample in "$here"/test/*.duet; do
    if "$DUET" fmt - <"$sample" |
      diff -u --label "$sample" --label "duet fmt - < $sample" "$sample" -; then
      echo "fixed point: ${sample#"$here"/}"
    else
      status=1
    fi
  done
  return "$status"
}

if [ -n "${DUET:-}" ]; then
  step "duet fmt: the indentation samples are fixed points" fmt_samples
else
  echo "=== duet fmt: DUET is not set, formatter check skipped"
fi

# --- VS Code ----------------------------------------------------------------

vscode_grammar() { (cd "$here/vscode" && npm test); }
vscode_compile() { (cd "$here/vscode" && npm run compile); }

step "vscode: grammar tests (npm test)" vscode_grammar
step "vscode: TypeScript build (npm run compile)" vscode_compile

# --- Emacs ------------------------------------------------------------------

# Compile a copy, so that no .elc is left next to the source.
cp "$here/emacs/duet-mode.el" "$work/duet-mode.el"

emacs_compile() {
  emacs -Q --batch \
    --eval '(setq byte-compile-error-on-warn t)' \
    -f batch-byte-compile "$work/duet-mode.el"
}

emacs_ert() {
  # -L puts the freshly compiled duet-mode.elc first on the load path.
  emacs -Q --batch -L "$work" \
    -l "$here/emacs/duet-mode-test.el" \
    -f ert-run-tests-batch-and-exit
}

step "emacs: byte-compile duet-mode.el (warnings are errors)" emacs_compile
step "emacs: ERT tests" emacs_ert

# --- Vim --------------------------------------------------------------------

vim_tests() {
  vim -Nu NONE -i NONE -es -S "$here/vim/test/run.vim" </dev/null
}

step "vim: indentation and syntax tests" vim_tests

# --- summary ----------------------------------------------------------------

echo
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "editors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
