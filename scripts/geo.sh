#!/usr/bin/env bash
# Fetches a country database for `mailsweep-agg report --geo`: ip-location-db's
# geo-whois-asn-country MaxMind DB (IPv4), from the npm registry with `npm pack` (npm from Debian
# when the machine has none). The version is pinned so that reports are reproducible; pass
# another with --version. Prints the path of the .mmdb on stdout.
#   scripts/geo.sh [DIR] [--version V]     (default DIR: data/geo)
#
# Licence: the data is CC BY 4.0 by the NRO (the package's NRO_LICENSE), so published figures
# must credit it: "IP geolocation by ip-location-db (NRO data, CC BY 4.0)". The package's own
# README warns that the data published to npm contains errors and that npm updates are
# deprecated in favour of the project's GitHub releases; for published statistics prefer a
# current database (GeoLite2-Country, DB-IP, or ip-location-db's releases) and pass it to
# --geo the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=data/geo
version=2.3.2026061719
package=@ip-location-db/geo-whois-asn-country-mmdb
while [[ $# -gt 0 ]]; do
  case $1 in
    --version) version=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "geo.sh: unknown flag $1" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done
out="$dir/geo-whois-asn-country-ipv4-$version.mmdb"
if [[ -s "$out" ]]; then
  echo "$out"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "geo.sh: installing npm from Debian" >&2
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm checks the tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/geo-whois-asn-country-ipv4.mmdb package/NRO_LICENSE
mv "$tmp/package/geo-whois-asn-country-ipv4.mmdb" "$out.part"
mv "$out.part" "$out"
cp "$tmp/package/NRO_LICENSE" "$dir/NRO_LICENSE"
echo "geo.sh: $out (CC BY 4.0 by the NRO: credit it when you publish; see $dir/NRO_LICENSE)" >&2
echo "$out"
