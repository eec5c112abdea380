/*
 * Backfill risk_score (severity.likelihood x severity.impact) and
 * risk_level (LOW, MEDIUM, HIGH) on every finding (FIN#...).
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

/* The whole number at `path` (0 to 1000000), or -1 when it is missing or another value. */
static long long whole_number(const wb_item *item, const char *path)
{
	const wb_value *v = wb_item_get_path(item, path);
	char *end;
	long long n;

	if (wb_value_type(v) != WB_N) /* NULL (missing) counts as WB_NULL */
		return -1;
	n = strtoll(wb_value_bytes(v, NULL), &end, 10);
	return *end || n < 0 || n > 1000000 ? -1 : n;
}

static int backfill_risk(wb_item *finding, void *arg)
{
	wb_run *run = arg;
	long long likelihood = whole_number(finding, "severity.likelihood");
	long long impact = whole_number(finding, "severity.impact");
	long long score = likelihood * impact;
	const char *pk = wb_item_get_string(finding, "pk");
	int rc;

	if (likelihood < 0 || impact < 0) {
		wb_log_warn(run, "%s: no whole severity.likelihood and severity.impact: left as it is", pk);
		return WB_KEEP;
	}
	rc = wb_item_set_int(finding, "risk_score", score);
	if (rc == 0)
		rc = wb_item_set_string(finding, "risk_level",
					score >= 15 ? "HIGH" : score >= 6 ? "MEDIUM" : "LOW");
	/* an item that already holds these values is counted unchanged, not written */
	return rc < 0 ? rc : WB_WRITE;
}

int main(void)
{
	wb_run *run = wb_run_begin(); /* target, mode and run id from `whimbrel run` */
	int rc = wb_each(run, "security", "FIN#", backfill_risk, run);

	return wb_run_end(run, rc);
}
