# shellcheck shell=bash
# Sourced by scripts/base-images: the add-on images, built like the Debian base images (debootstrap,
# then apt in the rootfs: postgresql-common needs perl:any, which debootstrap's resolver ignores),
# then given their entrypoint (paas-addon-NAME, here), their user and an empty data directory.
addons=(postgres/bookworm redis/bookworm)
expected+=([postgres/bookworm]=15 [redis/bookworm]=7)
includes+=([postgres]=netbase [redis]=netbase)
apt_installs+=([postgres]=postgresql-15 [redis]=redis-server)  # postgresql-15 has pgbench too
# A fresh volume mounted on the data directory copies its owner and mode.
declare -A addon_data=([postgres]=/var/lib/postgresql/data [redis]=/data)
declare -A addon_changes=(
  [postgres]="ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin|ENV PGDATA=/var/lib/postgresql/data"
  [redis]="WORKDIR /data"
)
# SIGTERM is postgres's smart shutdown, which waits for every client to disconnect; SIGINT is its
# fast one. docker import cannot set it: a one-line build on top does (no registry involved).
declare -A stop_signal=([postgres]=SIGINT)

is_addon() { [[ " ${addons[*]} " == *" $1 "* ]]; }

addon_rootfs() {  # addon_rootfs ADDON DIR: its entrypoint, its empty data directory, no cluster
  local addon=$1 rootfs=$2 data=$2${addon_data[$1]}
  # postgresql-15's postinst made a cluster (15/main) the add-on never uses.
  rm -rf "$rootfs"/var/lib/postgresql/* "$rootfs"/etc/postgresql/* "$rootfs"/var/lib/redis/*
  # Its JIT (LLVM, 150 MB) pays off only for long analytic queries; without it postgres plans
  # without JIT and says nothing (the documented behaviour when the provider is not installed).
  rm -rf "$rootfs"/usr/lib/postgresql/*/lib/{llvmjit*,bitcode} "$rootfs"/usr/lib/*/lib{LLVM,z3}[.-]*
  install -m 755 "scripts/addon-images/paas-addon-$addon" "$rootfs/usr/local/bin/"
  mkdir -p "$data" "$rootfs/run/$addon"  # /run/postgresql: the socket, where psql looks for it
  chroot "$rootfs" chown "$addon:$addon" "${addon_data[$addon]}" "/run/$addon"
  chmod 700 "$data"
}

import_addon() {  # import_addon DIR TAG MESSAGE ADDON VERSION: the rootfs as the add-on's image
  local rootfs=$1 tag=$2 message=$3 addon=$4 version=$5 change extra
  local changes_=(--change "LABEL org.paas.addon=$addon org.paas.addon.version=$version"
                  --change "USER $addon" --change "CMD [\"/usr/local/bin/paas-addon-$addon\"]")
  IFS='|' read -ra extra <<<"${addon_changes[$addon]}"
  for change in "${extra[@]}"; do changes_+=(--change "$change"); done
  import_rootfs "$rootfs" "$tag" "$message" "${changes_[@]}"
  if [ -n "${stop_signal[$addon]:-}" ]; then
    printf 'FROM %s\nSTOPSIGNAL %s\n' "$tag" "${stop_signal[$addon]}" | docker build -q -t "$tag" - >/dev/null 2>&1 \
      || { echo "$tag: docker build (STOPSIGNAL) failed" >&2; exit 1; }
  fi
}
