/*
 * Remove sorts_risk_level_normalized from the state map of every toe-lines
 * item (GROUP#... / LINES#...); toe inputs keep theirs.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <string.h>
#include <whimbrel.h>

/* DynamoDB's `REMOVE state.sorts_risk_level_normalized`, on one facet. */
static int remove_normalized(wb_item *item, void *arg)
{
	const char *sk = wb_item_get_string(item, "sk");
	int rc;

	(void)arg;
	if (!sk || strncmp(sk, "LINES#", 6) != 0)
		return WB_KEEP; /* the group itself, toe inputs, roots */
	rc = wb_item_remove_path(item, "state.sorts_risk_level_normalized");
	if (rc == WB_ENOTFOUND)
		return WB_KEEP; /* never had it, or a rerun */
	return rc < 0 ? rc : WB_WRITE; /* e.g. a state that is not a map stops the run */
}

int main(void)
{
	wb_run *run = wb_run_begin(); /* target, mode and run id from `whimbrel run` */
	int rc = wb_each(run, "security", "GROUP#", remove_normalized, NULL);

	return wb_run_end(run, rc);
}
