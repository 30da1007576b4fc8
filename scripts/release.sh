#!/usr/bin/env bash
# Build xsdoctor's release binaries without GoReleaser: static (CGO_ENABLED=0), -trimpath,
# stamped with the version, for every target of .goreleaser.yaml, plus SHA256SUMS.
#
#   scripts/release.sh [VERSION] [OUTDIR]
#
# VERSION defaults to `git describe --tags --always --dirty`; OUTDIR to dist/. Prints each
# binary with its size, then the checksums file. cmd/xsdoctor/release_test.go checks that the
# targets and flags here are those of .goreleaser.yaml.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
out="${2:-dist}"

targets=(
	linux/amd64
	linux/arm64
	darwin/amd64
	darwin/arm64
	windows/amd64
	windows/arm64
)

mkdir -p "$out"
rm -f "$out"/xsdoctor_* "$out/SHA256SUMS"
for target in "${targets[@]}"; do
	goos="${target%/*}"
	goarch="${target#*/}"
	bin="$out/xsdoctor_${version}_${goos}_${goarch}"
	[ "$goos" = windows ] && bin="$bin.exe"
	CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" \
		go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$bin" ./cmd/xsdoctor
	printf '%-14s %10s bytes  %s\n' "$target" "$(wc -c <"$bin" | tr -d ' ')" "$bin"
done

(
	cd "$out"
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum xsdoctor_* >SHA256SUMS
	else
		shasum -a 256 xsdoctor_* >SHA256SUMS
	fi
)
printf '\n%s/SHA256SUMS:\n' "$out"
cat "$out/SHA256SUMS"
