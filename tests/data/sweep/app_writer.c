/*
 * app_writer.c - an application writing the items a migration is changing
 * (tests/cli/t_sweep_writers.sh).  Usage: app_writer URL TABLE N STOPFILE OUT.
 * Until STOPFILE exists (at most 20,000 writes), sets attribute `app` of a
 * random car "car-%06d" (0 <= i < N) to the count of its own writes to that
 * car, with an update that touches nothing else, about one every PACE_US;
 * then writes "i count" for every car it wrote to OUT.  A write refused as
 * busy is retried.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <whimbrel.h>

#define PACE_US 500 /* an application's pace, not a flood (see t_sweep_writers.sh) */

int main(int argc, char **argv)
{
	wb_db *db = NULL;
	int n, *count, rc = 0;
	FILE *out;

	if (argc != 6 || (n = atoi(argv[3])) <= 0 || !(count = calloc((size_t)n, sizeof(*count))))
		return 2;
	if (wb_open(&db, argv[1]) < 0) {
		fprintf(stderr, "app_writer: %s\n", wb_error_last());
		return 1;
	}
	srand((unsigned)getpid());
	for (int k = 0; k < 20000 && rc == 0 && access(argv[4], F_OK) != 0; k++) {
		int i = rand() % n;
		char id[32], num[16];
		wb_item *key = wb_item_new(), *set = wb_item_new();
		snprintf(id, sizeof(id), "car-%06d", i);
		snprintf(num, sizeof(num), "%d", count[i] + 1);
		wb_item_set_string(key, "id", id);
		wb_item_set_number(set, "app", num);
		while ((rc = wb_update(db, argv[2], key, set, NULL, 0, NULL)) == WB_EBUSY)
			usleep(1000);
		if (rc == 0)
			count[i]++;
		else
			fprintf(stderr, "app_writer: %s\n", wb_error_last());
		wb_item_free(key);
		wb_item_free(set);
		usleep(PACE_US);
	}
	wb_close(db);
	if (!(out = fopen(argv[5], "w")))
		return 1;
	for (int i = 0; i < n; i++)
		if (count[i])
			fprintf(out, "%d %d\n", i, count[i]);
	fclose(out);
	free(count);
	return rc < 0;
}
