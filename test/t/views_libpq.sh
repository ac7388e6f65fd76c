#!/usr/bin/env bash
# The KPI views read by a client that is not psql: a C program on libpq checks the
# column types (BI drivers map them) and that the totals add up.
set -euo pipefail
cd "$(dirname "$0")/../.."
psql -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION csat'
psql -q -v ON_ERROR_STOP=1 -v scale=0.002 -v end_ts="'2026-11-22 12:00+00'" -f test/data/generate.sql >/dev/null
psql -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT csat.map_source('orders', 'shop.orders', '{"order_id":"id","ordered_at":"created_at","exception":"has_exception","channel":"sales_channel","segment":"customer_segment","category":"product_category","followed_up_at":"follow_up_at"}');
SELECT csat.map_source('tickets', 'shop.tickets', '{"ticket_id":"id","opened_at":"created","first_response_at":"first_reply_at","is_complaint":"complaint","category":"topic","agent":"assignee"}');
SELECT csat.map_source('surveys', 'shop.surveys', '{"sent_at":"invited_at"}');
SELECT csat.map_source('returns', 'shop.returns', '{"return_id":"id","completed_at":"refunded_at"}');
SELECT csat.refresh();
SQL
bin=$CSAT_TMP/views_libpq
cc -std=gnu99 -Wall -Wextra -Werror -I"$(pg_config --includedir)" -o "$bin" test/t/views_libpq.c \
	-L"$(pg_config --libdir)" -lpq
"$bin"
