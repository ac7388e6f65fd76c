/*
 * views_libpq.c: reads csat's KPI views through libpq (not psql), the way a BI
 * tool's driver does, and checks every column's type OID: only date/timestamptz,
 * text, bigint and float8 may appear.  Also reads the values in binary format and
 * checks the daily totals add up to the orders table.
 *
 * Built and run by test/t/views_libpq.sh; connection from the PG* variables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <libpq-fe.h>

#define INT8OID 20
#define TEXTOID 25
#define FLOAT8OID 701
#define DATEOID 1082
#define TIMESTAMPTZOID 1184

static int	failures = 0;

static unsigned int
expected_type(const char *view, const char *col)
{
	static const char *const counts[] = {"orders", "complaints", "responses", "nps_responses",
	"tickets", "delivered", "returns", NULL};
	int			i;

	if (strcmp(col, "period_start") == 0)
		return strcmp(view, "csat.kpi_hourly") == 0 ? TIMESTAMPTZOID : DATEOID;
	if (strcmp(col, "channel") == 0 || strcmp(col, "segment") == 0)
		return TEXTOID;
	if (strlen(col) > 6 && strcmp(col + strlen(col) - 6, "_level") == 0)
		return TEXTOID;
	for (i = 0; counts[i]; i++)
		if (strcmp(col, counts[i]) == 0)
			return INT8OID;
	return FLOAT8OID;
}

static int64_t
int8_at(const PGresult *res, int row, int col)
{
	uint32_t	hi,
				lo;
	const char *p = PQgetvalue(res, row, col);

	memcpy(&hi, p, 4);
	memcpy(&lo, p + 4, 4);
	return ((int64_t) ntohl(hi) << 32) | ntohl(lo);
}

int
main(void)
{
	static const char *const views[] = {"csat.kpi_hourly", "csat.kpi_daily", "csat.kpi_weekly",
	"csat.kpi_monthly", NULL};
	PGconn	   *conn = PQconnectdb("");
	int			v;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "connection failed: %s", PQerrorMessage(conn));
		return 1;
	}
	for (v = 0; views[v]; v++)
	{
		char		sql[256];
		PGresult   *res;
		int			c,
					ocol = -1;
		int64_t		total = 0;

		/* binary results, as JDBC/ODBC drivers may ask for */
		snprintf(sql, sizeof(sql),
				 "SELECT * FROM %s WHERE channel = 'all' AND segment = 'all'", views[v]);
		res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
		{
			fprintf(stderr, "%s: %s", views[v], PQerrorMessage(conn));
			return 1;
		}
		if (PQntuples(res) == 0)
		{
			fprintf(stderr, "%s: no rows\n", views[v]);
			failures++;
		}
		for (c = 0; c < PQnfields(res); c++)
		{
			const char *name = PQfname(res, c);
			unsigned int want = expected_type(views[v], name);

			if (PQftype(res, c) != want)
			{
				fprintf(stderr, "%s.%s: type oid %u, expected %u\n", views[v], name, PQftype(res, c), want);
				failures++;
			}
			if (strcmp(name, "orders") == 0)
				ocol = c;
		}
		if (ocol >= 0)
		{
			int			r;

			for (r = 0; r < PQntuples(res); r++)
				if (!PQgetisnull(res, r, ocol))
					total += int8_at(res, r, ocol);
		}
		printf("%s: %d columns, %d total rows, %lld orders\n", views[v], PQnfields(res), PQntuples(res),
			   (long long) total);
		PQclear(res);

		res = PQexec(conn, "SELECT count(*) FROM shop.orders");
		if (PQresultStatus(res) != PGRES_TUPLES_OK || atoll(PQgetvalue(res, 0, 0)) != total)
		{
			fprintf(stderr, "%s: orders %lld, table has %s\n", views[v], (long long) total,
					PQresultStatus(res) == PGRES_TUPLES_OK ? PQgetvalue(res, 0, 0) : "?");
			failures++;
		}
		PQclear(res);
	}
	PQfinish(conn);
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
