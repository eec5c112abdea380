/*
 * dynamo_store.c - the DynamoDB benchmark's store-API contender: the same
 * work as bench/dynamo_sdk.mjs (parallel scan, every item gets price = 0,
 * written back unconditionally by BatchWriteItem) with libwhimbrel: one
 * thread and one handle per segment, wb_scan_page + wb_batch_write.
 *
 *   build/bench/dynamo_store URL TABLE SEGMENTS
 *
 * Prints one JSON line like dynamo_sdk.mjs: items, wall seconds and this
 * process's CPU seconds (getrusage).  Run by bench/dynamo.sh, which starts
 * dynalite and loads the data; run alone (as scripts/bench.sh does with
 * every C program of bench/) without a dynamodb URL it only says so.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <whimbrel.h>

struct seg {
	const char *url, *table; /* where */
	unsigned index, total;   /* which segment */
	long written;            /* items written */
	int rc;                  /* outcome */
};

static int write_page(wb_db *db, const char *table, wb_page *p)
{
	wb_write *w = calloc(p->count + 1, sizeof(*w));
	int rc = 0;

	if (!w)
		return WB_ENOMEM;
	for (size_t i = 0; i < p->count && rc == 0; i++) {
		rc = wb_item_set_number(p->items[i], "price", "0");
		w[i] = (wb_write){table, WB_WRITE_PUT, p->items[i], NULL};
	}
	if (rc == 0 && p->count)
		rc = wb_batch_write(db, w, p->count, NULL);
	free(w);
	return rc;
}

static void *run_segment(void *arg)
{
	struct seg *s = arg;
	wb_db *db = NULL;
	wb_item *cursor = NULL;
	wb_page *p = NULL;

	if ((s->rc = wb_open(&db, s->url)) < 0)
		return NULL;
	do {
		wb_scan sc = {s->index, s->total, NULL, 0, cursor, NULL};
		if ((s->rc = wb_scan_page(&p, db, s->table, &sc)) < 0)
			break;
		if ((s->rc = write_page(db, s->table, p)) < 0)
			break;
		s->written += (long)p->count;
		wb_item_free(cursor);
		cursor = p->last_key ? wb_item_dup(p->last_key) : NULL;
		wb_page_free(p);
		p = NULL;
	} while (cursor);
	if (s->rc < 0)
		fprintf(stderr, "segment %u: %s\n", s->index, wb_errmsg(db));
	wb_page_free(p);
	wb_item_free(cursor);
	wb_close(db);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct seg segs[64];
	pthread_t th[64];
	struct rusage ru;
	unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 4;
	long items = 0;
	double t0;
	int rc = 0;

	if (argc < 3 || strncmp(argv[1], "dynamodb", 8) != 0) {
		printf("dynamo_store: run through bench/dynamo.sh (needs a dynamodb URL and a loaded table)\n");
		return 0;
	}
	if (n < 1 || n > 64)
		n = 4;
	t0 = now();
	for (unsigned i = 0; i < n; i++) {
		segs[i] = (struct seg){argv[1], argv[2], i, n, 0, 0};
		pthread_create(&th[i], NULL, run_segment, &segs[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		items += segs[i].written;
		if (segs[i].rc < 0)
			rc = 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"items\":%ld,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"segments\":%u}\n", items, now() - t0,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, n);
	return rc;
}
