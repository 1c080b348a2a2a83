#!/bin/sh
# Solve a JSON dataset and print the placements as CSV with jq, or every problem of the input.
#
#   sh placements.sh dataset.json > placements.csv
set -eu
result=$(mktemp)
trap 'rm -f "$result"' EXIT

if stagematch solve --json - --time-limit 10 < "$1" > "$result" 2> /dev/null; then
    jq -r '"\(.status): \(.counts.placed)/\(.counts.students) placed"' "$result" >&2
    echo "student_id,offer_id,start,end,travel_min"
    jq -r '.assignments[] | select(.kind == "placement")
           | [.student_id, .item_id, .start, .end, .travel_min] | @csv' "$result"
else
    jq -r '.problems[]? | "\(.table), row \(.row // "-"), column \(.column // "-"): \(.message)"' \
        "$result" >&2
    jq -r '.message // empty' "$result" >&2
    exit 1
fi
