# Sourced by qemu-tests/fetch-assets.sh and qemu-tests/system/build-assets.sh.
# find_uri main|security: the URI of the machine's first Debian `deb` source (deb822 .sources
# first, then one-line sources.list) that is not (main) or is (security) a -security suite.
find_uri() { # $1 = main|security
  local want=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v want="$want" 'BEGIN { RS=""; FS="\n" }
      {
        uris=""; suites=""; types=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/)   { uris = $i;   sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
          if ($i ~ /^Types:/)  { types = $i }
        }
        if (types !~ /(^|[ \t:])deb([ \t]|$)/ || uris == "" || suites !~ /(bookworm|trixie|sid|stable|testing|unstable)/) next
        sec = (suites ~ /-security/)
        if ((want == "security") == sec) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk -v want="$want" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i+1) !~ /(bookworm|trixie|sid|stable|testing|unstable)/) next
        sec = ($(i+1) ~ /-security/)
        if ((want == "security") == sec) { print $i; exit }
      }' "$f"
  done
}
