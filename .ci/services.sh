#!/usr/bin/env bash
# Makes sure the services the integration tests talk to are up:
# PostgreSQL 127.0.0.1:5432, MariaDB 127.0.0.1:3306, RabbitMQ 127.0.0.1:5672.
# Starts whichever is down, then waits for it. Exits non-zero if one stays down.
set -uo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2 secs=$3
  for _ in $(seq 1 "$secs"); do
    up "$port" && { echo "services: $name is up on 127.0.0.1:$port"; return 0; }
    sleep 1
  done
  echo "services: $name did not come up on 127.0.0.1:$port" >&2
  return 1
}

status=0
if ! up 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
wait_for PostgreSQL 5432 60 || status=1

if ! up 3306; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for MariaDB 3306 60 || status=1

if ! up 5672; then
  rabbitmq-server -detached || true
fi
wait_for RabbitMQ 5672 120 || status=1

exit $status
