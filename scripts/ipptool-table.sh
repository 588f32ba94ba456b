#!/usr/bin/env bash
# Prints target/interop/ipptool-results.tsv (written by tests/interop) as a
# Markdown table: one row per ipptool file, paperjam and ippeveprinter side by
# side, each cell "pass / fail / skip (+waived)". `fail` counts only unwaived
# failures. When a file was run more than once, the last line wins.
# Usage: scripts/ipptool-table.sh [TSV]
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TSV="${1:-$REPO/target/interop/ipptool-results.tsv}"
[ -f "$TSV" ] || { echo "no results in $TSV: run cargo test --test interop first" >&2; exit 1; }
awk -F'\t' '
  NF >= 6 {
    cell = $3 " / " $4 " / " $5 ($6 > 0 ? " (+" $6 " waived)" : "")
    result[$1, $2] = cell
    if (!($2 in seen)) { seen[$2] = 1; files[++n] = $2 }
  }
  END {
    print "| ipptool file | paperjam (pass / fail / skip) | ippeveprinter (pass / fail / skip) |"
    print "| --- | --- | --- |"
    # sort the file names
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (files[j] < files[i]) { t = files[i]; files[i] = files[j]; files[j] = t }
    for (i = 1; i <= n; i++) {
      f = files[i]
      p = ((("paperjam", f) in result) ? result["paperjam", f] : "not run")
      e = ((("ippeveprinter", f) in result) ? result["ippeveprinter", f] : "not run")
      print "| " f " | " p " | " e " |"
    }
  }' "$TSV"
