#!/usr/bin/env bash
# Refreshes the Apache ECharts build the web console embeds (docs/console.md):
# fetches the npm package at the pinned version into a temporary directory and
# copies dist/echarts.min.js and its LICENSE into ui/assets/vendor/echarts/,
# recording the version. npm is needed here only; building and testing use the
# committed copy.
#
#   scripts/vendor-echarts.sh            # the version pinned below
#   scripts/vendor-echarts.sh 6.1.0      # another version (then update the pin)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:-6.1.0}"
DEST=ui/assets/vendor/echarts

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent "echarts@${VERSION}" >/dev/null )
tar -xzf "$tmp"/echarts-"${VERSION}".tgz -C "$tmp"
pkg="$tmp/package"
got=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$pkg/package.json")
if [ "$got" != "$VERSION" ]; then
	echo "vendor-echarts: npm gave version '$got', asked for $VERSION" >&2
	exit 1
fi
mkdir -p "$DEST"
cp "$pkg/dist/echarts.min.js" "$DEST/echarts.min.js"
cp "$pkg/LICENSE" "$DEST/LICENSE"
[ -f "$pkg/NOTICE" ] && cp "$pkg/NOTICE" "$DEST/NOTICE"
echo "$VERSION" > "$DEST/VERSION"
sha=$(sha256sum "$DEST/echarts.min.js" | cut -d' ' -f1)
echo "vendor-echarts: echarts $VERSION → $DEST/echarts.min.js ($(wc -c < "$DEST/echarts.min.js") bytes, sha256 $sha)"
