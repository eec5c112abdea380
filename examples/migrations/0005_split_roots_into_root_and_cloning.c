/*
 * Split every git root item (GROUP#g / ROOT#r: the root and its cloning
 * status in one item) into the root (ROOT#r / GROUP#g) and its cloning
 * status (ROOT#r / CLONING), and delete the old item.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <string.h>
#include <whimbrel.h>

#define TABLE "security"

/* Copy attribute `name` of `from` into `to`, when `from` has it. */
static int copy_attr(wb_item *to, const wb_item *from, const char *name)
{
	const wb_value *v = wb_item_get(from, name);

	return v ? wb_item_set(to, name, wb_value_dup(v)) : 0;
}

/* The root: ROOT#r / GROUP#g with the root's own attributes. */
static int root_item(wb_item *out, const wb_item *old)
{
	static const char *const names[] = {"url", "branch", "state"};
	int rc = wb_item_set_string(out, "pk", wb_item_get_string(old, "sk"));

	if (rc == 0)
		rc = wb_item_set_string(out, "sk", wb_item_get_string(old, "pk"));
	for (size_t i = 0; rc == 0 && i < sizeof(names) / sizeof(names[0]); i++)
		rc = copy_attr(out, old, names[i]);
	return rc;
}

/* The cloning status: ROOT#r / CLONING with the attributes of the old cloning map. */
static int cloning_item(wb_item *out, const wb_item *old)
{
	const wb_item *cloning = wb_value_get_map(wb_item_get(old, "cloning"));
	int rc = wb_item_set_string(out, "pk", wb_item_get_string(old, "sk"));

	if (rc == 0)
		rc = wb_item_set_string(out, "sk", "CLONING");
	for (size_t i = 0; rc == 0 && i < wb_item_count(cloning); i++)
		rc = wb_item_set(out, wb_item_name_at(cloning, i),
				 wb_value_dup(wb_item_value_at(cloning, i)));
	return rc;
}

/*
 * Write a new item unless it exists.  A rerun after an interruption finds
 * the items it wrote before (they are written before the old item is
 * deleted, so nothing is lost whatever stops the run).
 */
static int put_new(wb_run *run, const wb_item *item)
{
	wb_cond absent = {WB_COND_NOT_EXISTS, NULL, NULL, NULL};
	int rc = wb_put(wb_run_db(run), TABLE, item, &absent);

	return rc == WB_ECONDITION ? 0 : rc;
}

static int split_root(wb_item *old, void *arg)
{
	const char *sk = wb_item_get_string(old, "sk");
	wb_item *root = NULL, *cloning = NULL;
	int rc = WB_ENOMEM;

	if (!sk || strncmp(sk, "ROOT#", 5) != 0)
		return WB_KEEP; /* the group, toe lines, toe inputs */
	if ((root = wb_item_new()) && (cloning = wb_item_new()) &&
	    (rc = root_item(root, old)) == 0 && (rc = cloning_item(cloning, old)) == 0 &&
	    (rc = put_new(arg, root)) == 0)
		rc = put_new(arg, cloning);
	wb_item_free(root);
	wb_item_free(cloning);
	return rc < 0 ? rc : WB_DELETE;
}

int main(void)
{
	wb_run *run = wb_run_begin(); /* target, mode and run id from `whimbrel run` */
	/* the new items (ROOT#...) are outside the scanned prefix: never visited */
	int rc = wb_each(run, TABLE, "GROUP#", split_root, run);

	return wb_run_end(run, rc);
}
