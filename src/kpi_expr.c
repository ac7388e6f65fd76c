/*
 * kpi_expr.c: csat.kpi_expression, the check of the user SQL expressions of
 * the KPI catalogue (filter, success, value).
 *
 * csat's refresh runs these expressions, often as a superuser, so an
 * expression may use only the columns of its kind (csat.kpi_columns),
 * constants, and immutable, non-set-returning functions, operators and casts
 * of pg_catalog, over types and collations of pg_catalog.  The expression is
 * parsed as "SELECT <expr>" (one statement, one target, no clause), its column
 * references are resolved by a parser hook, it is transformed as a check
 * constraint would be (no subqueries, aggregates, window or set-returning
 * functions), every node of the result is checked against a whitelist, and
 * the result is deparsed with its columns written x.<column>: the text csat
 * stores and embeds as "(<text>)".  Names resolve with search_path pinned to
 * "pg_catalog, pg_temp", as they must again where the text is evaluated.
 */
#include "csat.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(csat_kpi_expression);

/* the alias the normalized text gives the row of the kind */
#define KPI_ALIAS "x"

typedef struct KpiCheck
{
	const char *kind;
	const char *expr;			/* as the user wrote it, for messages */
	int			ncols;
	char	  **colnames;
	Oid		   *coltypes;
	bool		own_error;		/* the error in flight is ours: keep it as is */
	Oid			bad_func;		/* set by func_is_bad */
} KpiCheck;

static List *deparse_context(KpiCheck *st);

/* Refuse the expression (22023), naming what is wrong in msg; hint may be NULL. */
static void
refuse_hint(KpiCheck *st, const char *msg, const char *hint)
{
	st->own_error = true;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", msg),
			 errdetail("Expression: %s", st->expr),
			 hint ? errhint("%s", hint) : 0));
}

static void
refuse(KpiCheck *st, const char *msg)
{
	refuse_hint(st, msg, NULL);
}

/* The columns of kind from csat.kpi_columns(), in order; 22023 for an unknown kind. */
static void
load_columns(KpiCheck *st)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	MemoryContext cxt = CurrentMemoryContext;
	int			rc;

	args[0] = CStringGetTextDatum(st->kind);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(csat_sql("SELECT c.name, c.type::pg_catalog.oid"
										" FROM @extschema@.kpi_columns() c"
										" WHERE c.kind OPERATOR(pg_catalog.=) $1"),
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading csat.kpi_columns() failed: %s", SPI_result_code_string(rc));
	st->ncols = (int) SPI_processed;
	st->colnames = MemoryContextAlloc(cxt, sizeof(char *) * (st->ncols + 1));
	st->coltypes = MemoryContextAlloc(cxt, sizeof(Oid) * (st->ncols + 1));
	for (int i = 0; i < st->ncols; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;

		st->colnames[i] = MemoryContextStrdup(cxt, SPI_getvalue(tup, td, 1));
		st->coltypes[i] = DatumGetObjectId(SPI_getbinval(tup, td, 2, &isnull));
	}
	SPI_finish();
	if (st->ncols == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown source kind \"%s\"", st->kind),
				 errhint("The kinds are orders, tickets, surveys and returns.")));
}

/* "a, b, c": the column names of the kind, for hints */
static char *
column_list(KpiCheck *st)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < st->ncols; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", st->colnames[i]);
	return s.data;
}

/*
 * Parser hook: every column reference is a column of the kind, written
 * "col" or "x.col"; it becomes a Var of the one (notional) relation, varno 1.
 */
static Node *
kpi_columnref_hook(ParseState *pstate, ColumnRef *cref)
{
	KpiCheck   *st = (KpiCheck *) pstate->p_ref_hook_state;
	int			nfields = list_length(cref->fields);
	Node	   *last = (Node *) llast(cref->fields);
	const char *name = NULL;
	StringInfoData full;

	initStringInfo(&full);
	for (int i = 0; i < nfields; i++)
	{
		Node	   *f = (Node *) list_nth(cref->fields, i);

		appendStringInfo(&full, "%s%s", i ? "." : "",
						 IsA(f, String) ? strVal(f) : "*");
	}
	if (IsA(last, String) &&
		(nfields == 1 ||
		 (nfields == 2 && IsA(linitial(cref->fields), String) &&
		  strcmp(strVal(linitial(cref->fields)), KPI_ALIAS) == 0)))
		name = strVal(last);

	for (int i = 0; name != NULL && i < st->ncols; i++)
	{
		if (strcmp(st->colnames[i], name) == 0)
		{
			Oid			type = st->coltypes[i];
			Var		   *var = makeVar(1, (AttrNumber) (i + 1), type, -1,
									  get_typcollation(type), 0);

			var->location = cref->location;
			return (Node *) var;
		}
	}
	st->own_error = true;
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" is not a column of kind %s", full.data, st->kind),
			 errdetail("Expression: %s", st->expr),
			 errhint("Write a column unqualified or as %s.column; the columns of kind %s are: %s.",
					 KPI_ALIAS, st->kind, column_list(st))));
	return NULL;				/* keep the compiler quiet */
}

/*
 * Parse and transform expr: the tree of one SQL scalar expression over the
 * kind's columns, or an error.
 */
static Node *
parse_expression(KpiCheck *st)
{
	char	   *sql = psprintf("SELECT %s", st->expr);
	List	   *raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	SelectStmt *sel;
	ResTarget  *target;
	ParseState *pstate;
	Node	   *expr;

	if (list_length(raw) != 1 || !IsA(linitial_node(RawStmt, raw)->stmt, SelectStmt))
		refuse(st, "a KPI expression must be one SQL expression, not several statements");
	sel = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
	if (sel->targetList == NIL && sel->op == SETOP_NONE && sel->fromClause == NIL &&
		sel->whereClause == NULL)
		refuse(st, "a KPI expression must not be empty");
	if (list_length(sel->targetList) != 1 || sel->op != SETOP_NONE ||
		sel->distinctClause || sel->intoClause || sel->fromClause ||
		sel->whereClause || sel->groupClause || sel->groupDistinct ||
		sel->havingClause || sel->windowClause || sel->valuesLists ||
		sel->sortClause || sel->limitOffset || sel->limitCount ||
		sel->lockingClause || sel->withClause)
		refuse(st, "a KPI expression must be one SQL expression, not a list or a query");
	target = linitial_node(ResTarget, sel->targetList);
	if (target->name != NULL || target->indirection != NIL)
		refuse(st, "a KPI expression must not have an alias");

	pstate = make_parsestate(NULL);
	pstate->p_sourcetext = sql;
	pstate->p_pre_columnref_hook = kpi_columnref_hook;
	pstate->p_ref_hook_state = st;
	/* refuses subqueries, aggregates, window and set-returning functions */
	expr = transformExpr(pstate, target->val, EXPR_KIND_CHECK_CONSTRAINT);
	assign_expr_collations(pstate, expr);
	free_parsestate(pstate);
	return expr;
}

static Oid
type_namespace(Oid type)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", type);
	nsp = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

static Oid
operator_namespace(Oid opno)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", opno);
	nsp = ((Form_pg_operator) GETSTRUCT(tup))->oprnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

static Oid
collation_namespace(Oid coll)
{
	HeapTuple	tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(coll));
	Oid			nsp;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for collation %u", coll);
	nsp = ((Form_pg_collation) GETSTRUCT(tup))->collnamespace;
	ReleaseSysCache(tup);
	return nsp;
}

static void
check_type(KpiCheck *st, Oid type)
{
	if (OidIsValid(type) && type_namespace(type) != PG_CATALOG_NAMESPACE)
		refuse(st, psprintf("type %s is not in schema pg_catalog",
							format_type_be_qualified(type)));
}

static void
check_collation(KpiCheck *st, Oid coll)
{
	if (OidIsValid(coll) && collation_namespace(coll) != PG_CATALOG_NAMESPACE)
		refuse(st, psprintf("collation %s.%s is not in schema pg_catalog",
							quote_identifier(get_namespace_name(collation_namespace(coll))),
							quote_identifier(get_collation_name(coll))));
}

/* check_functions_in_node callback: true (and remembered) for a forbidden function */
static bool
func_is_bad(Oid funcid, void *context)
{
	KpiCheck   *st = (KpiCheck *) context;

	if (get_func_namespace(funcid) != PG_CATALOG_NAMESPACE ||
		func_volatile(funcid) != PROVOLATILE_IMMUTABLE ||
		get_func_retset(funcid))
	{
		st->bad_func = funcid;
		return true;
	}
	return false;
}

/* Refuse node because of the function func_is_bad found, saying which construct uses it. */
static void
refuse_function(KpiCheck *st, Node *node)
{
	Oid			funcid = st->bad_func;
	const char *what;
	const char *why;

	if (get_func_namespace(funcid) != PG_CATALOG_NAMESPACE)
		why = "is not in schema pg_catalog";
	else if (func_volatile(funcid) != PROVOLATILE_IMMUTABLE)
		why = "is not immutable";
	else
		why = "returns a set";

	switch (nodeTag(node))
	{
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			what = psprintf("operator %s", format_operator(((OpExpr *) node)->opno));
			break;
		case T_ScalarArrayOpExpr:
			what = psprintf("operator %s",
							format_operator(((ScalarArrayOpExpr *) node)->opno));
			break;
		case T_CoerceViaIO:
			what = psprintf("cast from %s to %s",
							format_type_be(exprType((Node *) ((CoerceViaIO *) node)->arg)),
							format_type_be(((CoerceViaIO *) node)->resulttype));
			break;
		case T_FuncExpr:
			what = psprintf("function %s", format_procedure(funcid));
			break;
		default:
			what = psprintf("function %s, used by the expression,", format_procedure(funcid));
			break;
	}
	if (!IsA(node, FuncExpr) && !IsA(node, CoerceViaIO) && get_func_namespace(funcid) != PG_CATALOG_NAMESPACE)
		what = psprintf("%s (function %s)", what, format_procedure(funcid));
	refuse_hint(st, psprintf("%s %s", what, why),
				func_volatile(funcid) != PROVOLATILE_IMMUTABLE ?
				"Results must not depend on the clock, the time zone or the database: to compare timestamps, compare their difference with an interval." : NULL);
}

/* Walker over the transformed expression: refuses everything not explicitly safe. */
static bool
check_walker(Node *node, void *context)
{
	KpiCheck   *st = (KpiCheck *) context;
	Oid			opno = InvalidOid;

	if (node == NULL)
		return false;
	check_stack_depth();
	switch (nodeTag(node))
	{
		case T_List:
		case T_CaseWhen:		/* no type of its own; its parts are checked */
			return expression_tree_walker(node, check_walker, context);
		case T_Var:
			{
				Var		   *var = (Var *) node;

				if (var->varno != 1 || var->varlevelsup != 0 ||
					var->varattno < 1 || var->varattno > st->ncols)
					refuse(st, "a KPI expression may refer only to the columns of its kind");
				break;
			}
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			opno = ((OpExpr *) node)->opno;
			break;
		case T_ScalarArrayOpExpr:
			opno = ((ScalarArrayOpExpr *) node)->opno;
			break;
		case T_Const:
		case T_FuncExpr:
		case T_BoolExpr:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_CollateExpr:
		case T_CaseExpr:
		case T_CaseTestExpr:
		case T_ArrayExpr:
		case T_CoalesceExpr:
		case T_MinMaxExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_SubscriptingRef:
			break;
		case T_CoerceToDomain:
			check_type(st, ((CoerceToDomain *) node)->resulttype);
			refuse(st, "a KPI expression must not cast to a domain");
			break;
		case T_SubLink:
			refuse(st, "subqueries are not allowed in a KPI expression");
			break;
		case T_Aggref:
		case T_GroupingFunc:
			refuse(st, "aggregate functions are not allowed in a KPI expression");
			break;
		case T_WindowFunc:
			refuse(st, "window functions are not allowed in a KPI expression");
			break;
		case T_Param:
			refuse(st, "parameters are not allowed in a KPI expression");
			break;
		case T_SQLValueFunction:
			refuse(st, "SQL value functions (CURRENT_TIMESTAMP, CURRENT_USER and the like) are not immutable");
			break;
		default:
			refuse(st, psprintf("construct \"%s\" is not allowed in a KPI expression",
								deparse_expression(node, deparse_context(st), true, false)));
			break;
	}
	if (OidIsValid(opno) && operator_namespace(opno) != PG_CATALOG_NAMESPACE)
		refuse(st, psprintf("operator %s is not in schema pg_catalog",
							format_operator(opno)));
	if (check_functions_in_node(node, func_is_bad, st))
		refuse_function(st, node);
	check_type(st, exprType(node));
	check_collation(st, exprCollation(node));
	check_collation(st, exprInputCollation(node));
	return expression_tree_walker(node, check_walker, context);
}

/* Deparsing context: the kind's columns as the columns of relation x (varno 1). */
static List *
deparse_context(KpiCheck *st)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	PlannedStmt *pstmt = makeNode(PlannedStmt);
	List	   *colnames = NIL;

	for (int i = 0; i < st->ncols; i++)
		colnames = lappend(colnames, makeString(st->colnames[i]));
	/* a VALUES list names its columns by eref alone, with no catalog look-up */
	rte->rtekind = RTE_VALUES;
	rte->alias = makeAlias(KPI_ALIAS, colnames);
	rte->eref = rte->alias;
	rte->inFromCl = true;
	pstmt->rtable = list_make1(rte);
	return deparse_context_for_plan_tree(pstmt, list_make1(pstrdup(KPI_ALIAS)));
}

/*
 * The parser's message, with "check constraint(s)" (the expression kind the
 * expression is transformed as) read as what it is: a KPI expression.
 */
static const char *
parser_message(const char *msg)
{
	static const char *const suffix[][2] = {
		{" in check constraints", " in KPI expressions"},
		{" in check constraint", " in a KPI expression"},
	};
	size_t		len = strlen(msg);

	for (size_t i = 0; i < lengthof(suffix); i++)
	{
		size_t		n = strlen(suffix[i][0]);

		if (len >= n && strcmp(msg + len - n, suffix[i][0]) == 0)
			return psprintf("%.*s%s", (int) (len - n), msg, suffix[i][1]);
	}
	return msg;
}

static bool
numeric_type(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID ||
		type == NUMERICOID || type == FLOAT4OID || type == FLOAT8OID;
}

Datum
csat_kpi_expression(PG_FUNCTION_ARGS)
{
	KpiCheck	st;
	const char *want;
	MemoryContext cxt = CurrentMemoryContext;
	Node	   *volatile expr = NULL;
	Oid			type;
	int			nestlevel;
	char	   *result;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("kind and result type of a KPI expression must not be NULL")));
	memset(&st, 0, sizeof(st));
	st.kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	st.expr = text_to_cstring(PG_GETARG_TEXT_PP(1));
	want = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (strcmp(want, "boolean") != 0 && strcmp(want, "numeric") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown KPI expression result type \"%s\"", want),
				 errhint("The result type is boolean or numeric.")));

	/*
	 * Names resolve in pg_catalog only, and constants print the same whatever
	 * the session's settings; an error restores the settings with the
	 * (sub)transaction, or here before the error is raised again.
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("datestyle", "ISO", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "3", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	load_columns(&st);

	PG_TRY();
	{
		expr = parse_expression(&st);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (st.own_error)
			PG_RE_THROW();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		/* resources, cancellation, internal errors: not the expression's fault */
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INSUFFICIENT_RESOURCES ||
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_OPERATOR_INTERVENTION ||
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_SYSTEM_ERROR ||
			ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_INTERNAL_ERROR)
			PG_RE_THROW();
		FlushErrorState();
		AtEOXact_GUC(false, nestlevel);
		/* the position would point into the caller's statement: drop it */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid KPI expression: %s", parser_message(edata->message)),
				 edata->detail ? errdetail("%s\nExpression: %s", edata->detail, st.expr)
				 : errdetail("Expression: %s", st.expr),
				 edata->hint ? errhint("%s", edata->hint) : 0));
	}
	PG_END_TRY();

	(void) check_walker(expr, &st);
	type = exprType(expr);
	if (strcmp(want, "boolean") == 0 ? type != BOOLOID : !numeric_type(type))
		refuse(&st, psprintf("this KPI expression must return %s, not %s",
							 strcmp(want, "boolean") == 0 ? "boolean" : "a number",
							 format_type_be(type)));
	/* columns written x.<column> (quoted when needed) */
	result = deparse_expression(expr, deparse_context(&st), true, false);
	AtEOXact_GUC(true, nestlevel);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}
