#!/usr/bin/env bash
# End-to-end benchmark: requests per second and p50/p99 latency through lb4j's proxy server and
# through nginx, HAProxy and Jetty 12's AsyncProxyServlet, each round-robining over the same three
# loopback backends, with wrk as the client. See lb-benchmarks/README.md, "End to end".
#
# Usage: lb-benchmarks/e2e/run.sh            (from anywhere; run as root or with sudo for apt-get)
#
# Environment (all optional):
#   E2E_PORT_BASE  first of the ports used (default 38080): base+1..3 backends, base+10.. proxies
#   E2E_DURATION   measured seconds per row (default 10)
#   E2E_WARMUP     warm-up seconds per row, not recorded (default 5)
#   E2E_THREADS    wrk threads (default 2)
#   E2E_CONNS      wrk connections (default 32)
#   E2E_JAVA_OPTS  JVM options for every Java process (backends, Jetty, lb4j); default none
#   E2E_LB4J_JAR   lb4j proxy server jar (default examples/proxy-server/target/lb4j-proxy-server.jar)
#   E2E_KEEP_TMP   set to 1 to keep the temporary directory (configs and logs) after the run
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH_JAR="$ROOT/lb-benchmarks/target/benchmarks.jar"
LB4J_DIR="$ROOT/examples/proxy-server"
LB4J_JAR="${E2E_LB4J_JAR:-$LB4J_DIR/target/lb4j-proxy-server.jar}"

PORT_BASE="${E2E_PORT_BASE:-38080}"
DURATION="${E2E_DURATION:-10}"
WARMUP="${E2E_WARMUP:-5}"
THREADS="${E2E_THREADS:-2}"
CONNS="${E2E_CONNS:-32}"
read -r -a JAVA_OPTS <<< "${E2E_JAVA_OPTS:-}"

BACKEND_PORTS=($((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 3)))
NGINX_PORT=$((PORT_BASE + 10))
HAPROXY_PORT=$((PORT_BASE + 11))
JETTY_PORT=$((PORT_BASE + 12))
LB4J_PORT=$((PORT_BASE + 13))
ALL_PORTS=("${BACKEND_PORTS[@]}" "$NGINX_PORT" "$HAPROXY_PORT" "$JETTY_PORT" "$LB4J_PORT")

log() { printf '[e2e] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- cleanup: every process this script starts is recorded here and stopped by pid -------------
PIDS=()
LAST_PID=""
TMP=""
cleanup() {
  local status=$?
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Up to 5 s for a clean exit, then SIGKILL.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
  if [[ -n "$TMP" && -d "$TMP" ]]; then
    if [[ "${E2E_KEEP_TMP:-0}" == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops one process started by this script (by pid) and forgets it.
stop_pid() {
  local pid=$1 p keep=()
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

# --- tools ------------------------------------------------------------------------------------
install_missing_tools() {
  local missing=() tool
  for tool in wrk nginx haproxy; do
    command -v "$tool" >/dev/null 2>&1 || [[ -x "/usr/sbin/$tool" ]] || missing+=("$tool")
  done
  if ((${#missing[@]} == 0)); then return; fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get: install them yourself"
  local sudo=()
  if ((EUID != 0)); then sudo=(sudo); fi
  log "installing ${missing[*]} from the distribution's packages (apt-get)"
  "${sudo[@]}" apt-get update -qq
  # The packages may start their system services; this script never uses them (it runs its own
  # foreground instances on its own ports).
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

PATH="$PATH:/usr/sbin:/sbin"

port_in_use() {
  # True when something listens on 127.0.0.1:$1 (or on every address).
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

check_ports_free() {
  local port busy=()
  for port in "${ALL_PORTS[@]}"; do
    if port_in_use "$port"; then busy+=("$port"); fi
  done
  ((${#busy[@]} == 0)) || die "ports in use: ${busy[*]} (set E2E_PORT_BASE to another range)"
}

# Waits until $1 accepts connections, or fails after $2 seconds; $3 is the pid that must stay up.
wait_for_port() {
  local port=$1 timeout=$2 pid=$3 i
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    port_in_use "$port" && return 0
    sleep 0.1
  done
  return 1
}

# Waits until file $1 contains $2, or fails after $3 seconds; $4 is the pid that must stay up.
wait_for_line() {
  local file=$1 text=$2 timeout=$3 pid=$4 i
  for ((i = 0; i < timeout * 10; i++)); do
    grep -qF "$text" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# --- builds -----------------------------------------------------------------------------------
ensure_bench_jar() {
  if [[ -f "$BENCH_JAR" ]] && unzip_has "$BENCH_JAR" 'dev/lb4j/benchmarks/e2e/JettyProxy.class'; then
    return
  fi
  log "building lb-benchmarks (target/benchmarks.jar)"
  (cd "$ROOT" && ./mvnw -B -q -pl lb-benchmarks -am package -DskipTests)
}

unzip_has() {
  # jar ships with the JDK; fall back to building when it is not on the PATH.
  command -v jar >/dev/null 2>&1 && jar tf "$1" | grep -qxF "$2"
}

# Prints "built", "absent" when there is no proxy-server module to build, or "failed".
ensure_lb4j_jar() {
  if [[ -f "$LB4J_JAR" ]]; then echo built; return; fi
  if [[ ! -d "$LB4J_DIR" ]]; then echo absent; return; fi
  log "building examples/proxy-server"
  if (cd "$ROOT" && ./mvnw -B -q -pl examples/proxy-server -am package -DskipTests) >&2 && [[ -f "$LB4J_JAR" ]]; then
    echo built
  else
    log "examples/proxy-server did not build; its row is skipped"
    echo failed
  fi
}

# --- the processes under test: each start_* function runs one in the background, records it in
# PIDS and LAST_PID, and returns once it accepts requests ---------------------------------------
start_backends() {
  java "${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"}" -cp "$BENCH_JAR" dev.lb4j.benchmarks.e2e.Backends \
    "${BACKEND_PORTS[@]}" >"$TMP/backends.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_for_line "$TMP/backends.log" "backends ready" 30 "$LAST_PID" || { cat "$TMP/backends.log" >&2; die "backends did not start"; }
}

start_nginx() {
  mkdir -p "$TMP/nginx"
  local servers="" port
  for port in "${BACKEND_PORTS[@]}"; do servers+="    server 127.0.0.1:$port;"$'\n'; done
  cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/client_body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  upstream backends {
$servers    keepalive 64;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  nginx -p "$TMP/nginx" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' \
    >"$TMP/nginx/stdout.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_for_port "$NGINX_PORT" 15 "$LAST_PID" || { cat "$TMP/nginx/error.log" >&2; die "nginx did not start"; }
}

start_haproxy() {
  mkdir -p "$TMP/haproxy"
  local servers="" i=1 port
  for port in "${BACKEND_PORTS[@]}"; do servers+="  server b$i 127.0.0.1:$port"$'\n'; i=$((i + 1)); done
  cat >"$TMP/haproxy/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend be
backend be
  balance roundrobin
$servers
EOF
  haproxy -db -f "$TMP/haproxy/haproxy.cfg" >"$TMP/haproxy/haproxy.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_for_port "$HAPROXY_PORT" 15 "$LAST_PID" || { cat "$TMP/haproxy/haproxy.log" >&2; die "haproxy did not start"; }
}

start_jetty() {
  java "${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"}" -cp "$BENCH_JAR" dev.lb4j.benchmarks.e2e.JettyProxy \
    "$JETTY_PORT" "${BACKEND_PORTS[@]}" >"$TMP/jetty.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_for_line "$TMP/jetty.log" "listening on http://" 30 "$LAST_PID" || { cat "$TMP/jetty.log" >&2; die "jetty proxy did not start"; }
}

# lb4j's proxy server: the one place to adjust when its command line or configuration changes.
start_lb4j() {
  local conf="$TMP/lb4j.yaml" port
  {
    echo "server:"
    echo "  port: $LB4J_PORT"
    echo "  bind: 127.0.0.1"
    echo "pools:"
    echo "  web:"
    echo "    backends:"
    for port in "${BACKEND_PORTS[@]}"; do echo "      - http://127.0.0.1:$port"; done
  } >"$conf"
  java "${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"}" -jar "$LB4J_JAR" --config "$conf" >"$TMP/lb4j.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  wait_for_line "$TMP/lb4j.log" "listening on http://" 60 "$LAST_PID" || { cat "$TMP/lb4j.log" >&2; die "lb4j proxy server did not start"; }
}

# --- measuring --------------------------------------------------------------------------------
ROWS=()

# run_wrk OUTPUT ARGS...: wrk in the background, so that a signal reaches the traps at once
# instead of after wrk's run.
run_wrk() {
  local output=$1
  shift
  wrk -t"$THREADS" -c"$CONNS" "$@" >"$output" &
  local pid=$!
  PIDS+=("$pid")
  wait "$pid" || die "wrk failed"
  stop_pid "$pid"
}

# measure NAME PORT: a warm-up run (discarded), then the measured run; appends a row to ROWS.
measure() {
  local name=$1 port=$2 url="http://127.0.0.1:$2/" out status
  status=$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
  [[ "$status" == 200 ]] || die "$name: GET $url answered '$status', not 200"
  local file="$TMP/wrk-${name//[^a-z0-9]/_}.txt"
  log "$name: warm-up ${WARMUP}s"
  run_wrk /dev/null -d"${WARMUP}s" "$url"
  log "$name: measuring ${DURATION}s"
  run_wrk "$file" -d"${DURATION}s" --latency "$url"
  out=$(cat "$file")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  if [[ -n "$errors" ]]; then log "$name: $errors"; fi
  ROWS+=("$name|$rps|$p50|$p99|${errors:+errors}")
}

# --- main -------------------------------------------------------------------------------------
START_SECONDS=$SECONDS
install_missing_tools
for tool in wrk nginx haproxy curl java; do command -v "$tool" >/dev/null 2>&1 || die "$tool not found"; done
check_ports_free
ensure_bench_jar
LB4J_STATE=$(ensure_lb4j_jar)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lb4j-e2e.XXXXXX")
chmod 755 "$TMP" # nginx's workers may run as another user

log "uptime: $(uptime)"
start_backends
measure "direct (1 backend)" "${BACKEND_PORTS[0]}"

start_nginx
measure "nginx" "$NGINX_PORT"
stop_pid "$LAST_PID"

start_haproxy
measure "haproxy" "$HAPROXY_PORT"
stop_pid "$LAST_PID"

start_jetty
measure "jetty AsyncProxyServlet" "$JETTY_PORT"
stop_pid "$LAST_PID"

if [[ "$LB4J_STATE" == built ]]; then
  start_lb4j
  measure "lb4j" "$LB4J_PORT"
  stop_pid "$LAST_PID"
elif [[ "$LB4J_STATE" == failed ]]; then
  ROWS+=("lb4j|n/a (build failed)|||")
else
  ROWS+=("lb4j|n/a (not built)|||")
fi

# --- the table --------------------------------------------------------------------------------
nginx_rps=""
for row in "${ROWS[@]}"; do
  IFS='|' read -r name rps _ <<<"$row"
  [[ "$name" == nginx ]] && nginx_rps=$rps
done

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(java -version 2>&1 | head -n 1), wrk -t$THREADS -c$CONNS -d${DURATION}s after ${WARMUP}s warm-up"
printf '| %-24s | %16s | %9s | %9s | %9s |\n' proxy "req/s" p50 p99 "vs nginx"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..26})" "$(printf -- '-%.0s' {1..18})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})"
for row in "${ROWS[@]}"; do
  IFS='|' read -r name rps p50 p99 flag <<<"$row"
  ratio=""
  if [[ -n "$nginx_rps" && "$rps" =~ ^[0-9.]+$ ]]; then
    ratio=$(awk -v a="$rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')
  fi
  if [[ "$rps" =~ ^[0-9.]+$ ]]; then rps=$(printf '%.0f' "$rps"); fi
  [[ -n "$flag" ]] && name="$name (errors!)"
  printf '| %-24s | %16s | %9s | %9s | %9s |\n' "$name" "$rps" "$p50" "$p99" "$ratio"
done
echo
log "done in $((SECONDS - START_SECONDS)) s"
