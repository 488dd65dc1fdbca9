#!/usr/bin/env bash
# The real country database (scripts/geo.sh: ip-location-db from the npm registry) through
# GeoDb, against known answers and libmaxminddb's mmdblookup. Fetches it into the build tree
# once; when the registry cannot be reached the test is skipped (exit 77), not failed.
#   real_geo.sh RESULTS_TEST GEO_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || { echo "real_geo.sh: no npm on this machine: skipped"; exit 77; }
# Bounded: a slow or unreachable registry skips the test rather than timing it out.
mmdb=$(timeout 120 "$here/../../scripts/geo.sh" "$2" 2>/dev/null) || {
  echo "real_geo.sh: could not fetch the database (no npm registry?): skipped"
  exit 77
}
MAILSWEEP_REAL_MMDB=$mmdb exec "$1" "[real_mmdb]"
