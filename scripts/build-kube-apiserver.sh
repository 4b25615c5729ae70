#!/usr/bin/env bash
# Builds the real kube-apiserver and kubectl of Kubernetes v1.37.2 from the Go module proxy into
# DIR, for the server-side dry-run test of the CloudNativePG manifests (internal/render/k8s).
#
# tools/kube-apiserver is a scratch module: it requires k8s.io/kubernetes v1.37.2 and pins its 33
# staging modules (k8s.io/api, k8s.io/apiserver, ...) to v0.37.2 with replace, which is what lets
# the go command build k8s.io/kubernetes as a dependency. A stamp holding the hash of its go.mod
# and go.sum makes a second run free: CI caches DIR, and a cold build takes minutes.
#
# Usage: build-kube-apiserver.sh DIR. scripts/install-test-deps.sh calls it.
set -euo pipefail

out=${1:?usage: build-kube-apiserver.sh DIR}
log() { printf 'build-kube-apiserver: %s\n' "$*" >&2; }

cd "$(dirname "$0")/../tools/kube-apiserver"
want=$(cat go.mod go.sum | sha256sum | cut -d' ' -f1)
stamp=$out/.azagen-build
if [[ -x $out/kube-apiserver && -x $out/kubectl && -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
command -v go >/dev/null || { log "error: go is not on PATH"; exit 1; }
log "building kube-apiserver and kubectl v1.37.2 into $out (a cold build takes minutes)"
start=$(date +%s)
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
go build -mod=readonly -o "$out.tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
printf '%s\n' "$want" >"$out.tmp/.azagen-build"
chmod 755 "$out.tmp" "$out.tmp/kube-apiserver" "$out.tmp/kubectl"
rm -rf "$out"
mv "$out.tmp" "$out"
log "built in $(($(date +%s) - start))s"
