/*
 * views_std: every install and upgrade makes the standard views again from the
 * registry (Makefile: REPLAYED; nothing to do on a fresh install), so that a
 * version's new standard columns (0.5: orders.category, customer_id,
 * followed_up_at; tickets.category, agent, customer_id; surveys.sent_at,
 * ticket_id) appear in existing databases.  Each is made by the function that
 * makes it (as this script's user, under its pinned search_path), then given
 * back to the role that owned it; made inside this script, it would become a
 * member of the extension: it is not.
 */
DO $$
DECLARE
	k text;
	was name;
BEGIN
	FOR k IN SELECT DISTINCT s.kind FROM csat.sources s ORDER BY 1 LOOP
		was := (SELECT r.rolname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
				 WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(pg_catalog.format('csat.%I', k))::pg_catalog.oid);
		PERFORM csat.build_standard_view(k);
		EXECUTE pg_catalog.format('ALTER EXTENSION csat DROP VIEW csat.%I', k);
		IF was IS NOT NULL THEN
			EXECUTE pg_catalog.format('ALTER VIEW csat.%I OWNER TO %I', k, was);
		END IF;
	END LOOP;
END $$;
