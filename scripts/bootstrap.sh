#!/usr/bin/env bash
# Installs what Reliquary needs on Debian bookworm, as root, and does nothing slow when all is there:
#   ffmpeg (Debian), Mesa lavapipe + the Vulkan loader from bookworm-backports (bookworm's own Mesa is too
#   old for Dawn's Vulkan backend), and the npm packages (npm ci).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v colmap >/dev/null 2>&1 || need_apt+=(colmap)
mesa_ver=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$mesa_ver" ] || dpkg --compare-versions "$mesa_ver" lt 24; then need_apt+=(mesa-vulkan-drivers); fi
dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'install ok installed' || need_apt+=(libvulkan1)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: missing ${need_apt[*]}; run as root (or install them: apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "bootstrap: adding the bookworm-backports apt source"
    cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  echo "bootstrap: apt-get install ${need_apt[*]}"
  apt-get update -qq
  export DEBIAN_FRONTEND=noninteractive
  vk=()
  for p in "${need_apt[@]}"; do case $p in mesa-vulkan-drivers|libvulkan1) vk+=("$p");; esac; done
  [ ${#vk[@]} -gt 0 ] && apt-get install -y -qq -t bookworm-backports "${vk[@]}" >/dev/null
  [[ " ${need_apt[*]} " == *" ffmpeg "* ]] && apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  [[ " ${need_apt[*]} " == *" colmap "* ]] && apt-get install -y -qq --no-install-recommends colmap >/dev/null
fi

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
