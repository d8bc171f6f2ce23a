#!/usr/bin/env bash
# Installs the command-line tools the deploy checks run for real, from
# Debian's packages, when they are missing: kubectl (renders the kustomize
# manifests) and promtool (loads and unit-tests the alert rules). Idempotent;
# `apt-get update` runs only when something has to be installed.
set -uo pipefail

missing=()
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "tools: kubectl, promtool and psql present"
  exit 0
fi

echo "tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || exit 1
# prometheus' postinst cannot start the service without systemd; that is
# expected here (only promtool is used).
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
command -v kubectl >/dev/null && command -v promtool >/dev/null && command -v psql >/dev/null
