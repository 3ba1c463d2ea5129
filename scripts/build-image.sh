#!/usr/bin/env bash
# Builds caretaker's container image from the release build, without any registry:
#   scripts/build-image.sh [--tag caretaker:TAG] [--binary target/release/caretaker] [--site target/site]
# Stages a root file system (the binary, the shared libraries ldd lists for it and for
# restic, the site, the CA bundle, a passwd entry for the user caretaker, uid 10001) in a
# temporary build context and runs `docker build` with deploy/Dockerfile (FROM scratch).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$ROOT/target}"
tag="caretaker:latest"
binary="$target_dir/release/caretaker"
site=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --site) site="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
# The site sits beside the binary's folder, as the binary itself expects.
[ -n "$site" ] || site="$(dirname "$(dirname "$binary")")/site"
[ -x "$binary" ] || { echo "No release binary at $binary: build it first (cargo leptos build --release)." >&2; exit 1; }
[ -d "$site/pkg" ] || { echo "No compiled site at $site (pkg/ missing): build it first (cargo leptos build --release)." >&2; exit 1; }
command -v docker >/dev/null || { echo "docker is missing." >&2; exit 1; }

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$context/data"
chmod 1777 "$rootfs/tmp"

# A program and every shared library ldd resolves for it (the loader too), at their paths.
copy_with_libraries() {
  local program="$1" destination="$2"
  cp "$program" "$rootfs$destination"
  ldd "$program" | grep -o '/[^ ]*' | sort -u | while read -r library; do
    mkdir -p "$rootfs$(dirname "$library")"
    cp -L "$library" "$rootfs$library"
  done
}
copy_with_libraries "$binary" /usr/local/bin/caretaker
cp -r "$site" "$rootfs/site"
if command -v restic >/dev/null; then
  copy_with_libraries "$(command -v restic)" /usr/local/bin/restic
else
  echo "note: restic is not installed here, so the image has none (backup plans will say so)." >&2
fi
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\ncaretaker:x:10001:10001:caretaker:/data:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\ncaretaker:x:10001:\n' >"$rootfs/etc/group"
# What was built, and when: also makes every build a new image, so a rebuilt image is
# really a newer one.
version="$("$binary" --version)"
printf '%s\nbuilt %s\n' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$rootfs/etc/caretaker-release"
cp "$ROOT/deploy/Dockerfile" "$context/Dockerfile"

docker build --quiet --label "org.opencontainers.image.version=${version#caretaker }" -t "$tag" "$context"
echo "Built $tag"
