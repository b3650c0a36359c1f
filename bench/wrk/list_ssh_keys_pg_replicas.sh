#!/usr/bin/env bash
# Load test (issue 9): the list_ssh_keys.sh workload (GET ssh-keys?limit=50, custom role, Bearer)
# against TWO `wharf serve` replicas on one PostgreSQL started here (initdb in a temp dir, as the
# postgres user when root, 127.0.0.1, fsync on), the load split evenly across both; then the same
# workload on one replica on SQLite (list_ssh_keys.sh) for the ratio.
# Usage: bench/wrk/list_ssh_keys_pg_replicas.sh [path/to/wharf] [duration, default 10s] [connections in total, default 64]
# WHARF_BENCH_SETUP_ONLY=1 starts and seeds everything, checks both replicas answer, and skips wrk.
set -euo pipefail
WHARF=$(realpath "${1:-build/src/server/wharf}")
DURATION=${2:-10s}
CONNS=${3:-64}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
PGBIN=${WHARF_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is not installed (make deps)"; exit 1; }
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; AS=(runuser -u postgres --); fi
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -m immediate -w stop > /dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${AS[@]}" "$PGBIN/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 --no-locale --no-instructions > "$DIR/initdb.log"
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=100" start > /dev/null
"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c 'CREATE DATABASE wharf'
DB="postgres://postgres@127.0.0.1:$PORT/wharf"
(umask 077; python3 -c 'import os,base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))' > "$DIR/master.key")

start() {  # start NAME: a replica on the shared database; sets URL_NAME
  mkdir -p "$DIR/$1"
  WHARF_MASTER_KEY_FILE="$DIR/master.key" "$WHARF" serve --listen 127.0.0.1:0 --data-dir "$DIR/$1" --database "$DB" \
    --log-level warn > "$DIR/$1.out" 2> "$DIR/$1.err" &
  PIDS+=($!)
}
start a
start b
for n in a b; do
  for _ in $(seq 500); do grep -q "running at" "$DIR/$n.out" 2>/dev/null && break; sleep 0.02; done
  grep -q "running at" "$DIR/$n.out" || { echo "replica $n did not start:"; cat "$DIR/$n.err"; exit 1; }
done
URL_A=$(grep -o 'http://127.0.0.1:[0-9]*' "$DIR/a.out" | head -1)
URL_B=$(grep -o 'http://127.0.0.1:[0-9]*' "$DIR/b.out" | head -1)

json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
post() { curl -sf -X POST "$URL_A$1" -H "authorization: Bearer $2" -H 'content-type: application/json' -d "$3"; }
ADMIN=$(curl -sf -X POST "$URL_A/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"email":"admin@bench.test","password":"bench-password-1","name":"Bench"}')
TOKEN=$(echo "$ADMIN" | json "d['token']")
ORG=$(echo "$ADMIN" | json "d['org']['slug']")
ROLE=$(post "/api/v1/orgs/$ORG/roles" "$TOKEN" '{"name":"Reader","permissions":{"sshKeys":{"read":true},"team":{"read":true}}}' | json "d['id']")
ssh-keygen -q -t ed25519 -N '' -f "$DIR/k"
PUB=$(cat "$DIR/k.pub")
for i in $(seq 1 50); do post "/api/v1/orgs/$ORG/ssh-keys" "$TOKEN" "{\"name\":\"key-$i\",\"public_key\":\"$PUB\"}" > /dev/null; done
LINK=$(post "/api/v1/orgs/$ORG/invitations" "$TOKEN" "{\"email\":\"reader@bench.test\",\"role_id\":\"$ROLE\",\"send_email\":false}" | json "d['link']")
MEMBER=$(curl -sf -X POST "$URL_A/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"email\":\"reader@bench.test\",\"password\":\"bench-password-2\",\"name\":\"Reader\",\"invitation_token\":\"${LINK##*/invite/}\"}")
MTOKEN=$(echo "$MEMBER" | json "d['token']")
for u in "$URL_A" "$URL_B"; do
  rows=$(curl -sf "$u/api/v1/orgs/$ORG/ssh-keys?limit=50" -H "authorization: Bearer $MTOKEN" | json "len(d['items'])")
  echo "replica $u: $rows rows per response"
  [ "$rows" = 50 ] || { echo "expected 50 rows"; exit 1; }
done
[ -n "${WHARF_BENCH_SETUP_ONLY:-}" ] && { echo "setup ok (wrk skipped)"; exit 0; }

echo "== two replicas on PostgreSQL: GET /api/v1/orgs/$ORG/ssh-keys?limit=50, ${CONNS} connections in total, ${DURATION}"
wrk -t1 -c$((CONNS / 2)) -d"$DURATION" --latency -H "Authorization: Bearer $MTOKEN" "$URL_A/api/v1/orgs/$ORG/ssh-keys?limit=50" > "$DIR/wrk_a.txt" &
WA=$!
wrk -t1 -c$((CONNS / 2)) -d"$DURATION" --latency -H "Authorization: Bearer $MTOKEN" "$URL_B/api/v1/orgs/$ORG/ssh-keys?limit=50" > "$DIR/wrk_b.txt" &
WB=$!
wait $WA $WB
cat "$DIR/wrk_a.txt" "$DIR/wrk_b.txt"
pg_rps=$(awk '/Requests\/sec/ {s += $2} END {print s}' "$DIR/wrk_a.txt" "$DIR/wrk_b.txt")
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
echo "== one replica on SQLite (list_ssh_keys.sh), for the ratio"
sqlite_rps=$("$HERE/list_ssh_keys.sh" "$WHARF" "$DURATION" "$CONNS" | awk '/^summary:/ {print $3}')
echo "summary: two replicas on PostgreSQL ${pg_rps} req/s, one replica on SQLite ${sqlite_rps} req/s, ratio $(python3 -c "print(round($pg_rps/$sqlite_rps, 3))")"
