#!/usr/bin/env bash
# Starts the local Redis and PostgreSQL when they are not running, with the
# machine's documented start commands, and waits until both answer.
set -uo pipefail

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! redis_up; then
  echo "starting redis-server"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! pg_up; then
  echo "starting postgresql"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi

for _ in $(seq 1 60); do
  if redis_up && pg_up; then
    echo "redis and postgresql are up"
    exit 0
  fi
  sleep 0.5
done
redis_up || echo "redis is not answering on 127.0.0.1:6379"
pg_up || echo "postgresql is not answering on 127.0.0.1:5432"
exit 1
