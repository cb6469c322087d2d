# Sourced by the scripts that start servers (tools/pg.sh, bench/compare.sh,
# bench/projection_lag.sh). free_port prints a 127.0.0.1 port below Linux's
# ephemeral range (32768-60999), so no outgoing connection holds it, that
# nothing answers on. Another process may still take it before the caller
# binds it: callers that can retry do (tools/pg.sh).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12768))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  echo "$port"
}
