/*
 * estimate.c - the time and cost part of `whimbrel plan`'s output.
 *
 * The plan (the runner's) records in its ledger row the capacity units the
 * run would consume; this turns them into time at the limits given
 * (--max-wcu / --max-rcu) and cost at the prices of the price table
 * (--prices FILE, else the target's `prices =` in whimbrel.conf, else the
 * installed share/whimbrel/prices.ini), as text or as one JSON object.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include <whimbrel/runner.h>

#include "cli.h"

static int load_prices(wb_prices *p, wb_cli *cli, const char *target, const char *file)
{
	wb_target_options to = WB_TARGET_OPTIONS_INIT;
	char *conf = NULL;
	int rc;

	to.config = cli->config;
	if (!file && (rc = wb_target_prices(&conf, &to, target)) < 0)
		return rc;
	rc = wb_prices_load(p, file ? file : conf);
	wb_string_free(conf);
	return rc;
}

static void print_time(const wb_estimate *e)
{
	char dur[32];

	if (e->seconds < 0) {
		printf("plan: time: no limit given (--max-wcu N, --max-rcu N)\n");
		return;
	}
	wb_format_duration(dur, sizeof(dur), (int64_t)(e->seconds * 1000 + 0.5));
	printf("plan: time: about %s at %.0f write and %.0f read unit(s) per second\n", dur, e->max_wcu,
	       e->max_rcu);
}

static void print_text(const wb_estimate *e, const wb_prices *p)
{
	printf("plan: estimate: %.1f read unit(s), %.1f write unit(s) on DynamoDB\n", e->rcu, e->wcu);
	print_time(e);
	printf("plan: cost on demand: %.4f %s\n", e->on_demand, p->currency);
	if (e->provisioned >= 0)
		printf("plan: cost provisioned: %.4f %s per hour at those limits; %.0f hour(s): %.4f %s\n",
		       e->provisioned_hour, p->currency, e->hours, e->provisioned, p->currency);
	printf("plan: prices of %s for %s (%s)\n", p->date, p->region, p->path);
}

static json_t *json_of(const wb_ledger_run *rec, const wb_estimate *e, const wb_prices *p)
{
	json_t *o = json_object(), *c = json_object(), *pr = json_object();

	json_object_set_new(o, "run_id", json_string(rec->run_id));
	json_object_set_new(o, "scanned", json_integer(rec->scanned));
	json_object_set_new(o, "written", json_integer(rec->written));
	json_object_set_new(o, "deleted", json_integer(rec->deleted));
	json_object_set_new(o, "unchanged", json_integer(rec->unchanged));
	json_object_set_new(o, "rcu", json_real(e->rcu));
	json_object_set_new(o, "wcu", json_real(e->wcu));
	json_object_set_new(o, "max_rcu", json_real(e->max_rcu));
	json_object_set_new(o, "max_wcu", json_real(e->max_wcu));
	json_object_set_new(o, "seconds", e->seconds >= 0 ? json_real(e->seconds) : json_null());
	json_object_set_new(c, "currency", json_string(p->currency));
	json_object_set_new(c, "on_demand", json_real(e->on_demand));
	json_object_set_new(c, "provisioned_hour", json_real(e->provisioned_hour));
	json_object_set_new(c, "provisioned_hours", e->hours >= 0 ? json_real(e->hours) : json_null());
	json_object_set_new(c, "provisioned", e->provisioned >= 0 ? json_real(e->provisioned) : json_null());
	json_object_set_new(o, "cost", c);
	json_object_set_new(pr, "file", json_string(p->path));
	json_object_set_new(pr, "date", json_string(p->date));
	json_object_set_new(pr, "region", json_string(p->region));
	json_object_set_new(o, "prices", pr);
	return o;
}

int wb_cli_plan_estimate(wb_cli *cli, const wb_ledger_run *rec, const char *target, const char *prices,
			 int max_rcu, int max_wcu, int json)
{
	wb_prices p;
	wb_estimate e;

	if (load_prices(&p, cli, target, prices) < 0)
		return wb_cli_fail("plan: no cost estimate: %s", wb_error_last());
	wb_estimate_compute(&e, &p, rec->rcu_estimate, rec->wcu_estimate, max_rcu, max_wcu);
	if (json)
		return wb_cli_print_json(json_of(rec, &e, &p));
	print_text(&e, &p);
	fflush(stdout);
	return WB_EXIT_OK;
}
