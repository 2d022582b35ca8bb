#!/bin/sh
# Publishes one orders-per-minute sample and one deploy event to a Tether server with curl.
# Needs a server started with the topics of docs/examples/topics.json and a publish key:
#   TETHER_PUBLISH_KEY=$(openssl rand -hex 32) TETHER_TOPICS=docs/examples/topics.json npm start
# Then, with the same key in the environment:
#   sh docs/examples/publish-orders.sh 42
set -eu
url="${TETHER_URL:-http://127.0.0.1:8080}"
count="${1:-42}"
now_ms="$(date +%s)000"

publish() {
  # --fail-with-body: exit non-zero on 4xx/5xx, and still print the error frame that says why.
  curl --silent --show-error --fail-with-body -X POST "$url/api/publish" \
    -H "Authorization: Bearer $TETHER_PUBLISH_KEY" \
    -H 'Content-Type: application/json' \
    --data "$1"
  echo
}

# Append a row to the series (RFC 6902 "add" at the end of the array).
publish "{\"topic\":\"orders.perMinute\",\"ops\":[{\"op\":\"add\",\"path\":\"/samples/-\",\"value\":{\"t\":$now_ms,\"count\":$count}}]}"
# Append an event.
publish "{\"topic\":\"deploys\",\"ops\":[{\"op\":\"add\",\"path\":\"/items/-\",\"value\":{\"t\":$now_ms,\"level\":\"info\",\"message\":\"checkout v42 deployed\"}}]}"
