/*
 * prices.c - the DynamoDB price table and the time and cost estimates of
 * `whimbrel plan` (whimbrel/runner.h: wb_prices_load, wb_estimate_compute).
 *
 * The prices live in one INI file with its date (share/whimbrel/prices.ini,
 * installed beside the command: BIN/../share/whimbrel/prices.ini); a user's
 * copy replaces it (`--prices FILE`, or `prices = FILE` in a target's
 * section of whimbrel.conf).  Every key is required, so that a stale or
 * mistyped file is an error rather than a silent zero.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "compile.h"
#include "config.h"
#include <whimbrel/runner.h>

#define PRICES_SECTION "prices"

static int text_key(const wb__config *cf, const char *key, char *dst, size_t size)
{
	const char *v = wb__config_get(cf, PRICES_SECTION, key);

	if (!v || !*v)
		return wb__error(NULL, WB_EINVALID, "%s: [%s] has no %s", wb__config_name(cf), PRICES_SECTION,
				 key);
	snprintf(dst, size, "%s", v);
	return 0;
}

static int price_key(const wb__config *cf, const char *key, double *out)
{
	const char *v = wb__config_get(cf, PRICES_SECTION, key);
	char *end;

	if (!v || !*v)
		return wb__error(NULL, WB_EINVALID, "%s: [%s] has no %s", wb__config_name(cf), PRICES_SECTION,
				 key);
	*out = strtod(v, &end);
	if (*end || !(*out >= 0) || !isfinite(*out))
		return wb__error(NULL, WB_EINVALID, "%s:%d: %s is not a price: '%s'", wb__config_name(cf),
				 wb__config_line(cf, PRICES_SECTION, key), key, v);
	return 0;
}

static int installed(char *buf, size_t size)
{
	char raw[PATH_MAX], root[PATH_MAX];
	int n;

	if (wb__install_root(raw, sizeof(raw)) < 0)
		return wb__error(NULL, WB_EIO, "cannot locate the running executable (/proc/self/exe)");
	if (!realpath(raw, root)) /* BIN/.. shown as the directory it is */
		snprintf(root, sizeof(root), "%s", raw);
	n = snprintf(buf, size, "%.*s/share/whimbrel/prices.ini", (int)(size > 64 ? size - 64 : 0), root);
	return n > 0 && (size_t)n < size ? 0 : wb__error(NULL, WB_EIO, "installation path too long");
}

int wb_prices_load(wb_prices *out, const char *path)
{
	static const char *const known[] = {"date", "region", "currency", "on_demand_write_million",
		"on_demand_read_million", "provisioned_wcu_hour", "provisioned_rcu_hour", NULL};
	wb__config *cf = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!path && (rc = installed(out->path, sizeof(out->path))) < 0)
		return rc;
	if (path)
		snprintf(out->path, sizeof(out->path), "%s", path);
	if ((rc = wb__config_load(&cf, out->path)) == WB_ENOTFOUND)
		return wb__error(NULL, rc, "no price file %s (--prices FILE names one)", out->path);
	if (rc < 0)
		return rc;
	if ((rc = wb__config_check_keys(cf, known)) == 0 &&
	    (rc = text_key(cf, "date", out->date, sizeof(out->date))) == 0 &&
	    (rc = text_key(cf, "region", out->region, sizeof(out->region))) == 0 &&
	    (rc = text_key(cf, "currency", out->currency, sizeof(out->currency))) == 0 &&
	    (rc = price_key(cf, "on_demand_write_million", &out->write_million)) == 0 &&
	    (rc = price_key(cf, "on_demand_read_million", &out->read_million)) == 0 &&
	    (rc = price_key(cf, "provisioned_wcu_hour", &out->wcu_hour)) == 0)
		rc = price_key(cf, "provisioned_rcu_hour", &out->rcu_hour);
	wb__config_free(cf);
	return rc;
}

void wb_estimate_compute(wb_estimate *out, const wb_prices *p, double rcu, double wcu,
			 double max_rcu, double max_wcu)
{
	double tr = max_rcu > 0 ? rcu / max_rcu : 0, tw = max_wcu > 0 ? wcu / max_wcu : 0;

	memset(out, 0, sizeof(*out));
	out->rcu = rcu;
	out->wcu = wcu;
	out->max_rcu = max_rcu;
	out->max_wcu = max_wcu;
	out->seconds = max_rcu > 0 || max_wcu > 0 ? (tr > tw ? tr : tw) : -1;
	out->on_demand = p->read_million * rcu / 1e6 + p->write_million * wcu / 1e6;
	out->provisioned_hour = p->rcu_hour * max_rcu + p->wcu_hour * max_wcu;
	out->hours = out->seconds > 0 ? ceil(out->seconds / 3600) : out->seconds == 0 ? 0 : -1;
	out->provisioned = out->hours >= 0 ? out->provisioned_hour * out->hours : -1;
}
