#!/usr/bin/env bash
# apisnap.sh BINARY DATA_DIR OUT_DIR PORT
#
# Snapshots every JSON GET answer of the API, so that a refactor can be shown to change none:
#
#   scripts/apisnap.sh /tmp/minsheng-before /tmp/snapdata /tmp/snap-before 18930
#   scripts/apisnap.sh /tmp/minsheng-after  /tmp/snapdata /tmp/snap-after  18930
#   diff -r /tmp/snap-before /tmp/snap-after        # empty = no API answer changed
#
# DATA_DIR must already hold an ingested lake (minsheng fixtures + minsheng ingest); this script
# generates nothing. It:
#   1. runs `BINARY build --data DATA_DIR`, so the warehouse is built by BINARY's own SQL, then
#      `BINARY serve --data DATA_DIR --addr 127.0.0.1:PORT --nightly off` in the background and
#      waits for /healthz to answer 200;
#   2. creates API tokens with `BINARY token create`: a leader (aggregates), one unit token per
#      lead unit (a check's violations are open to its lead unit only), an assessor (the unenrolled
#      roster persons) and an admin (one ingest report with its rejected rows);
#   3. fetches the routes below and writes each answer to OUT_DIR/<safe-name>.json as
#        {"route": ..., "role": ..., "http_status": ..., "body": <the answer>}
#      pretty-printed with keys sorted (jq -S .); arrays keep the server's order. A body that is
#      not JSON is kept as text under "body_text". OUT_DIR/_index.tsv lists every file with its
#      status, role and route;
#   4. stops the server and revokes every token it created.
#
# Routes captured (AS_OF = as_of=2024-03-31, as_of=2024-06-30, none (the default: the newest
# record date), as_of=2024-12-31; YEAR = none (the default year) and year=2024):
#   leader    /healthz
#   leader    /api/v1/openapi.json
#   leader    /api/v1/targets?AS_OF
#   leader    /api/v1/targets/{code}?AS_OF           every code listed by /api/v1/targets
#   leader    /api/v1/assessment/enrollment?AS_OF
#   leader    /api/v1/checks?YEAR                    (checks take no as_of: 400)
#   unit      /api/v1/checks/{name}/violations?YEAR  every check listed by /api/v1/checks, with a
#                                                    token of the check's lead unit
#   assessor  /api/v1/assessment/enrollment/unenrolled?YEAR
#   leader    /api/v1/ingest/runs
#   admin     /api/v1/ingest/runs/{sha256}           the first 3 runs of /api/v1/ingest/runs
#   leader    /api/v1/notes?YEAR                     (notes' default year is the calendar year,
#                                                    so without year= it may be a 404: kept as is)
# Not captured: /api/v1/audit (skipped by design: it logs this very run), /api/v1/me (names the
# run's own token), POST routes.
#
# Volatile fields dropped (the only edits made to an answer; everything else is kept byte-for-
# byte up to jq's formatting):
#   /healthz  .loaded_at   when the server loaded the warehouse (serve time)
#   /healthz  .warehouse   the warehouse file's name, minsheng-<build time>.duckdb (build time:
#                          every `build` makes a new one)
# Kept on purpose: /api/v1/ingest/runs[...] .ingested_at and .duration_ms are ingest times, read
# from DATA_DIR's reports: stable for one DATA_DIR. Compare before and after on the SAME DATA_DIR
# (a re-ingested copy would differ there, and nowhere else).
#
# Side effects on DATA_DIR: a new warehouse file (the build; the previous one stays beside it);
# accounts.json keeps the revoked tokens (revoke marks a token revoked, it does not erase it);
# audit/ gains the token create and revoke lines; serve makes the empty folders notes/ and tmp/
# if missing. The lake, quarantine, reports and manifest are only read.
#
# The pseudonym key is found as by ingest: set MINSHENG_PII_KEY or MINSHENG_PII_KEY_FILE as when
# ingesting, or leave DATA_DIR/pii.key (the demo's) where it is.
#
# Needs curl and jq (installed with apt-get when missing).

set -euo pipefail

usage() { echo "usage: $0 BINARY DATA_DIR OUT_DIR PORT" >&2; exit 2; }
[ $# -eq 4 ] || usage
BIN=$1 DATA=$2 OUT=$3 PORT=$4
[ -x "$BIN" ] || { echo "apisnap: $BIN is not an executable" >&2; exit 2; }
[ -f "$DATA/manifest.jsonl" ] || { echo "apisnap: $DATA holds no ingested lake (no manifest.jsonl)" >&2; exit 2; }
case $PORT in ''|*[!0-9]*) usage ;; esac
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
	echo "apisnap: $OUT is not empty; remove it first (rm -r $OUT)" >&2
	exit 2
fi

command -v curl >/dev/null || { echo "apisnap: needs curl" >&2; exit 2; }
if ! command -v jq >/dev/null; then
	echo "apisnap: jq missing, installing it with apt-get" >&2
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq && $SUDO apt-get install -y -qq jq >&2
fi

BASE=http://127.0.0.1:$PORT
if curl -s -o /dev/null --max-time 2 "$BASE/healthz"; then
	echo "apisnap: something already answers on $BASE; pick another PORT" >&2
	exit 2
fi

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/apisnap.XXXXXX)  # the server's log and scratch bodies; kept for reading
LOG=$WORK/serve.log
RUN=apisnap-$$-$(date +%s)               # token names of this run
SERVER_PID=
IDS=$WORK/token-ids   # one token ID a line (mktoken runs in a subshell: a file, not an array)
: >"$IDS"

cleanup() {
	local rc=$?
	set +e
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID"
		for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$SERVER_PID" 2>/dev/null && { echo "apisnap: server $SERVER_PID did not stop, killing it" >&2; kill -KILL "$SERVER_PID"; }
		wait "$SERVER_PID" 2>/dev/null
	fi
	local n=0
	while read -r id; do
		if "$BIN" token revoke --data "$DATA" --id "$id" >/dev/null 2>>"$WORK/revoke.err"; then
			n=$((n + 1))
		else
			echo "apisnap: could not revoke token $id (see $WORK/revoke.err)" >&2
			rc=1
		fi
	done <"$IDS"
	echo "apisnap: server stopped, $n tokens revoked" >&2
	[ $rc -eq 0 ] || echo "apisnap: FAILED (server log: $LOG)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mktoken NAME ROLE [UNIT]: creates a token, writes its ID to $IDS for revocation, prints the token.
mktoken() {
	local name=$1 role=$2 unit=${3:-} out id
	if [ -n "$unit" ]; then
		out=$("$BIN" token create --data "$DATA" --name "$RUN-$name" --role "$role" --unit "$unit")
	else
		out=$("$BIN" token create --data "$DATA" --name "$RUN-$name" --role "$role")
	fi
	id=$(printf '%s\n' "$out" | grep -o 'tok_[0-9a-zA-Z]*' | head -n 1)
	[ -n "$id" ] || { echo "apisnap: no token ID in: $out" >&2; return 1; }
	echo "$id" >>"$IDS"
	printf '%s\n' "$out" | tail -n 1
}

# --- 1. build and serve ----------------------------------------------------------------------
echo "apisnap: building the warehouse with $BIN" >&2
"$BIN" build --data "$DATA" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

# --- 2. tokens (before serving: the server reads them at once anyway) ------------------------
LEADER=$(mktoken leader leader)
ASSESSOR=$(mktoken assessor assessor)
ADMIN=$(mktoken admin admin)
declare -A UNIT_TOKEN
for u in 县总工会 县残联 县民政局 县司法局 县退役军人事务局 县医保局; do
	UNIT_TOKEN[$u]=$(mktoken "unit-$u" unit "$u")
done

"$BIN" serve --data "$DATA" --addr "127.0.0.1:$PORT" --nightly off >"$LOG" 2>&1 &
SERVER_PID=$!
echo "apisnap: serving on $BASE (pid $SERVER_PID, log $LOG)" >&2
for i in $(seq 1 600); do
	kill -0 "$SERVER_PID" 2>/dev/null || { echo "apisnap: the server exited:" >&2; tail -n 20 "$LOG" >&2; exit 1; }
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz")" = 200 ] && break
	[ "$i" -lt 600 ] || { echo "apisnap: /healthz not 200 after 120 s" >&2; exit 1; }
	sleep 0.2
done

# --- 3. fetch --------------------------------------------------------------------------------
# The volatile fields (see the header); $r is the route without its query.
VOLATILE='
	(.route | sub("\\?.*$"; "")) as $r
	| if $r == "/healthz" then del(.body.loaded_at, .body.warehouse) else . end'

# safename ROUTE: /api/v1/targets/10a?as_of=2024-03-31 -> api_v1_targets_10a@as_of=2024-03-31,
# /api/v1/openapi.json -> api_v1_openapi
safename() {
	local s=${1#/}
	case $s in *.json) s=${s%.json} ;; *.json\?*) s=${s%%.json\?*}?${s#*.json\?} ;; esac
	s=${s//\//_}
	s=${s//\?/@}
	s=${s//&/+}
	printf '%s' "$s"
}

NFILES=0
# fetch ROLE TOKEN ROUTE: writes OUT/<safename>.json; echoes nothing.
fetch() {
	local role=$1 token=$2 route=$3 name code body=$WORK/body
	name=$(safename "$route")
	code=$(curl -sS -o "$body" -w '%{http_code}' --max-time 300 -H "Authorization: Bearer $token" "$BASE$route")
	if jq -e . "$body" >/dev/null 2>&1; then
		jq -S -n --arg route "$route" --arg role "$role" --argjson status "$code" --slurpfile b "$body" \
			'{route: $route, role: $role, http_status: $status, body: $b[0]}' | jq -S "$VOLATILE" >"$OUT/$name.json"
	else
		jq -S -n --arg route "$route" --arg role "$role" --argjson status "$code" --rawfile b "$body" \
			'{route: $route, role: $role, http_status: $status, body_text: $b}' >"$OUT/$name.json"
	fi
	printf '%s.json\t%s\t%s\t%s\n' "$name" "$code" "$role" "$route" >>"$OUT/_index.tsv"
	NFILES=$((NFILES + 1))
}

# body ROUTE: the body of an already-fetched answer (to list codes, checks, runs).
body() { jq '.body' "$OUT/$(safename "$1").json"; }

AS_OFS=("?as_of=2024-03-31" "?as_of=2024-06-30" "" "?as_of=2024-12-31")
YEARS=("" "?year=2024")

fetch leader "$LEADER" /healthz
fetch leader "$LEADER" /api/v1/openapi.json

for q in "${AS_OFS[@]}"; do
	fetch leader "$LEADER" "/api/v1/targets$q"
	fetch leader "$LEADER" "/api/v1/assessment/enrollment$q"
done
mapfile -t CODES < <(body /api/v1/targets | jq -r '.targets[]?.code')
[ "${#CODES[@]}" -gt 0 ] || { echo "apisnap: /api/v1/targets lists no target" >&2; exit 1; }
for code in "${CODES[@]}"; do
	for q in "${AS_OFS[@]}"; do
		fetch leader "$LEADER" "/api/v1/targets/$code$q"
	done
done

for q in "${YEARS[@]}"; do
	fetch leader "$LEADER" "/api/v1/checks$q"
done
mapfile -t CHECKS < <(body /api/v1/checks | jq -r '.checks[]? | [.name, .lead_unit] | @tsv')
[ "${#CHECKS[@]}" -gt 0 ] || { echo "apisnap: /api/v1/checks lists no check" >&2; exit 1; }
for line in "${CHECKS[@]}"; do
	name=${line%%$'\t'*} unit=${line#*$'\t'}
	if [ -z "${UNIT_TOKEN[$unit]:-}" ]; then # a lead unit not in the list above
		UNIT_TOKEN[$unit]=$(mktoken "unit-$unit" unit "$unit")
	fi
	for q in "${YEARS[@]}"; do
		fetch "unit:$unit" "${UNIT_TOKEN[$unit]}" "/api/v1/checks/$name/violations$q"
	done
done

for q in "${YEARS[@]}"; do
	fetch assessor "$ASSESSOR" "/api/v1/assessment/enrollment/unenrolled$q"
done

fetch leader "$LEADER" /api/v1/ingest/runs
mapfile -t SHAS < <(body /api/v1/ingest/runs | jq -r '.runs[:3][]?.sha256')
for sha in "${SHAS[@]}"; do
	fetch admin "$ADMIN" "/api/v1/ingest/runs/$sha"
done

for q in "${YEARS[@]}"; do
	fetch leader "$LEADER" "/api/v1/notes$q"
done

# --- 4. stop and revoke: the EXIT trap --------------------------------------------------------
NOT200=$(awk -F'\t' '$2 != 200' "$OUT/_index.tsv" | wc -l)
echo "apisnap: wrote $NFILES answers to $OUT ($NOT200 not 200: see $OUT/_index.tsv)" >&2
