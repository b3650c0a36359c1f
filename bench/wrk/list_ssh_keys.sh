#!/usr/bin/env bash
# Load test: GET /api/v1/orgs/{org}/ssh-keys?limit=50 with Bearer auth, 50 rows, a custom role,
# against a fresh `wharf serve` on 127.0.0.1; then /healthz on the same run for the ratio.
# Usage: bench/wrk/list_ssh_keys.sh [path/to/wharf] [duration, default 10s] [connections, default 64]
set -euo pipefail
WHARF=${1:-build/src/server/wharf}
DURATION=${2:-10s}
CONNS=${3:-64}
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT

start_ns=$(date +%s%N)
"$WHARF" serve --listen 127.0.0.1:0 --data-dir "$DIR/data" --log-level warn ${WHARF_SERVE_ARGS:-} > "$DIR/out" 2> "$DIR/err" &
PID=$!
for _ in $(seq 200); do grep -q "running at" "$DIR/out" 2>/dev/null && break; sleep 0.01; done
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$DIR/out" | head -1)
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)

json() { python3 -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
post() { curl -sf -X POST "$URL$1" -H "authorization: Bearer $2" -H 'content-type: application/json' -d "$3"; }

ADMIN=$(curl -sf -X POST "$URL/api/v1/auth/signup" -H 'content-type: application/json' \
  -d '{"email":"admin@bench.test","password":"bench-password-1","name":"Bench"}')
TOKEN=$(echo "$ADMIN" | json "d['token']")
ORG=$(echo "$ADMIN" | json "d['org']['slug']")
ROLE=$(post "/api/v1/orgs/$ORG/roles" "$TOKEN" '{"name":"Reader","permissions":{"sshKeys":{"read":true},"team":{"read":true}}}' | json "d['id']")
ssh-keygen -q -t ed25519 -N '' -f "$DIR/k"
PUB=$(cat "$DIR/k.pub")
for i in $(seq 1 50); do post "/api/v1/orgs/$ORG/ssh-keys" "$TOKEN" "{\"name\":\"key-$i\",\"public_key\":\"$PUB\"}" > /dev/null; done
LINK=$(post "/api/v1/orgs/$ORG/invitations" "$TOKEN" "{\"email\":\"reader@bench.test\",\"role_id\":\"$ROLE\",\"send_email\":false}" | json "d['link']")
MEMBER=$(curl -sf -X POST "$URL/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"email\":\"reader@bench.test\",\"password\":\"bench-password-2\",\"name\":\"Reader\",\"invitation_token\":\"${LINK##*/invite/}\"}")
MTOKEN=$(echo "$MEMBER" | json "d['token']")
rows=$(curl -sf "$URL/api/v1/orgs/$ORG/ssh-keys?limit=50" -H "authorization: Bearer $MTOKEN" | json "len(d['items'])")

[ -n "${WHARF_BENCH_HOLD:-}" ] && { echo "URL=$URL ORG=$ORG MTOKEN=$MTOKEN TOKEN=$TOKEN PID=$PID" > "$WHARF_BENCH_HOLD"; }
echo "wharf: ready in ${ready_ms} ms (wall clock from spawn), idle RSS ${rss_idle} KiB, ${rows} rows per response"
echo "== GET /api/v1/orgs/$ORG/ssh-keys?limit=50 (custom role, Bearer), ${CONNS} connections, ${DURATION}"
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $MTOKEN" "$URL/api/v1/orgs/$ORG/ssh-keys?limit=50" | tee "$DIR/list.txt"
echo "== GET /healthz, ${CONNS} connections, ${DURATION}"
wrk -t2 -c"$CONNS" -d"$DURATION" --latency "$URL/healthz" | tee "$DIR/health.txt"
rss_after=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
list_rps=$(awk '/Requests\/sec/ {print $2}' "$DIR/list.txt")
health_rps=$(awk '/Requests\/sec/ {print $2}' "$DIR/health.txt")
echo "summary: list ${list_rps} req/s, healthz ${health_rps} req/s, ratio $(python3 -c "print(round($list_rps/$health_rps, 3))"), RSS after load ${rss_after} KiB"
