/*
 * Test fixture: writes through the store API itself (wb_run_db), no
 * wb_each: a put of a new car, an update of car-000002 (a price set, its
 * color removed), a delete of car-000003 and a batch of two puts (a new
 * car and car-000004 replaced).  In a journaled run every one is
 * journaled (journal_wrap.c), so revert puts all back.  The table is
 * "cars", or $CARS_TABLE.
 *
 * Execution Time:
 * Finalization Time:
 */
#include <stdlib.h>
#include <whimbrel.h>

static const char *cars(void)
{
	const char *t = getenv("CARS_TABLE");

	return t && *t ? t : "cars";
}

static wb_item *car(const char *id, const char *brand)
{
	wb_item *it = wb_item_new();

	wb_item_set_string(it, "id", id);
	wb_item_set_string(it, "brand", brand);
	return it;
}

static int writes(wb_db *db)
{
	wb_item *a = car("car-new-1", "Lada"), *k2 = car("car-000002", "x"), *set = wb_item_new();
	wb_item *k3 = car("car-000003", "x"), *b = car("car-new-2", "Tatra"), *c = car("car-000004", "Trabant");
	const char *remove[] = {"color"};
	wb_write w[2] = {{cars(), WB_WRITE_PUT, b, NULL}, {cars(), WB_WRITE_PUT, c, NULL}};
	int rc;

	wb_item_remove(k2, "brand");
	wb_item_remove(k3, "brand");
	wb_item_set_number(set, "price", "12.50");
	if ((rc = wb_put(db, cars(), a, NULL)) == 0 &&
	    (rc = wb_update(db, cars(), k2, set, remove, 1, NULL)) == 0 &&
	    (rc = wb_delete(db, cars(), k3, NULL)) == 0)
		rc = wb_batch_write(db, w, 2, NULL);
	wb_item_free(a);
	wb_item_free(k2);
	wb_item_free(set);
	wb_item_free(k3);
	wb_item_free(b);
	wb_item_free(c);
	return rc;
}

int main(void)
{
	wb_run *run = wb_run_begin();

	return wb_run_end(run, writes(wb_run_db(run)));
}
