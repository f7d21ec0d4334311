#!/usr/bin/env bash
# Makes sure the machine has what the tests drive for real: redis-server, Celery under Debian's
# /usr/bin/python3, RabbitMQ, Chromium, Firefox ESR, Django with PostgreSQL for the Django sources, SQLAlchemy for Celery's database result backend, and Prometheus. As root it installs
# what is missing with apt-get; otherwise it names the missing packages and stops.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
/usr/bin/python3 -c 'import celery, redis' >/dev/null 2>&1 || missing+=(python3-celery python3-redis)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The popup in real Firefox (test/e2e/firefox-popup.test.ts, scripts/measure-firefox.ts).
[ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
# The clock-skew test runs a worker whose clock is hours ahead.
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
# The Django sources' tests: a Django project with django-celery-results and django-celery-beat,
# migrated onto a private PostgreSQL 15 cluster (Debian's binaries) and onto SQLite.
/usr/bin/python3 -c 'import django, django_celery_results, django_celery_beat, psycopg2' >/dev/null 2>&1 \
  || missing+=(python3-django python3-django-celery-results python3-django-celery-beat python3-psycopg2)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
# RabbitMQ as a broker: tests run private nodes of Debian's rabbitmq-server (management plugin
# included) beside any other, and Celery's workers reach them through py-amqp.
[ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
/usr/bin/python3 -c 'import amqp' >/dev/null 2>&1 || missing+=(python3-amqp)
# /metrics is checked by Prometheus's own promtool and scraped by a private Prometheus server.
# Celery's database result backend (db+sqlite://, db+postgresql://) is SQLAlchemy's.
/usr/bin/python3 -c 'import sqlalchemy' >/dev/null 2>&1 || missing+=(python3-sqlalchemy)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Missing Debian packages: ${missing[*]}" >&2
echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
exit 1
