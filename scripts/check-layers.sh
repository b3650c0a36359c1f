#!/usr/bin/env bash
# Enforces the module dependency rules of docs/architecture.md: no module includes a module above
# it, and only the named modules include sqlite3/libpq, libssh, curl, sodium, libcbor and qrencode.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each module and the modules it may include (besides itself).
declare -A allowed=(
  [base]=""
  [domain]="base"
  [authz]="base domain"
  [secrets]="base"
  [identity]="base secrets"
  [store]="base domain"
  [http_client]="base"
  [nodes]="base"
  [integrations]="base http_client"
  [diagnose]="base domain"
  [notify]="base secrets"
  [services]="base domain authz secrets identity store http_client nodes integrations diagnose jobs notify"
  [jobs]="base domain secrets store"
  [api]="base domain authz services"
  [cli]="base domain http_client"
  [server]="base domain authz secrets identity store http_client nodes integrations diagnose notify services jobs api cli"
)
fail=0
for dir in src/*/; do
  mod=$(basename "$dir")
  [ -n "${allowed[$mod]+x}" ] || { echo "unknown module src/$mod: add it to scripts/check-layers.sh"; fail=1; continue; }
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(echo "$line" | sed -E 's/.*#include "([a-z_]+)\/.*/\1/')
    [ "$inc" = "$mod" ] && continue
    case " ${allowed[$mod]} " in *" $inc "*) ;; *) echo "$file includes $inc, which $mod may not depend on"; fail=1 ;; esac
  done < <(grep -rnE '#include "[a-z_]+/' "$dir" --include='*.h' --include='*.cc' | grep -v '_test.cc' | grep -v '_bench.cc' || true)
done
check_only() {  # check_only PATTERN MODULE...
  local pattern=$1; shift
  local hits
  hits=$(grep -rlE "$pattern" src --include='*.h' --include='*.cc' || true)
  for f in $hits; do
    local ok=0
    for m in "$@"; do [[ $f == src/$m/* ]] && ok=1; done
    [ $ok = 1 ] || { echo "$f includes a library reserved for $*"; fail=1; }
  done
}
check_only '#include\s*[<"](sqlite3|libpq-fe)\.h' store
check_only '#include\s*[<"]libssh/' nodes
check_only '#include\s*[<"]curl/' http_client
check_only '#include\s*[<"]sodium' secrets
check_only '#include\s*[<"]boost/beast' api
check_only '#include\s*[<"](cbor|qrencode)\.h' identity
[ $fail = 0 ] && echo "layers: ok"
exit $fail
