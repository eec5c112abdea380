/*
 * items_bench.c - the item model's share of the migration hot path:
 * decode a ~200-byte item from the binary codec, set one attribute (what an
 * "add price" callback does), encode it again, free it.  Also times JSON
 * parsing and printing of the same item, for comparison.
 *
 * Build and run (from the repository root, after `make`):
 *   cc -O2 -Iinclude -Isrc bench/items_bench.c build/lib/libwhimbrel.a \
 *      -ljansson -lsqlite3 -lcurl -lcrypto -lpthread -lm -o build/items_bench
 *   build/items_bench [N]          (default N = 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "whimbrel.h"
#include "codec.h"

static const char *sample =
	"{\"pk\":{\"S\":\"CAR#000123456\"},\"sk\":{\"S\":\"META\"},"
	"\"make\":{\"S\":\"Volvo\"},\"model\":{\"S\":\"V70 Cross Country\"},"
	"\"year\":{\"N\":\"2014\"},\"mileage\":{\"N\":\"183500.5\"},"
	"\"owner\":{\"M\":{\"name\":{\"S\":\"Ann Example\"},\"city\":{\"S\":\"Uppsala\"}}},"
	"\"tags\":{\"SS\":[\"estate\",\"awd\",\"diesel\"]},\"sold\":{\"BOOL\":false},"
	"\"notes\":{\"S\":\"one careful owner, full service history\"}}";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	wb_item *it = NULL;
	wb_buf enc = {0}, out = {0};
	double t0, t1;
	char *json;

	if (wb_item_from_json(&it, sample, strlen(sample), WB_JSON_DDB) != 0 ||
	    wb__item_encode(&enc, it) != 0) {
		fprintf(stderr, "setup: %s\n", wb_error_last());
		return 1;
	}
	printf("item: %zu bytes encoded, %zu bytes DynamoDB size\n", enc.len, wb_item_size(it));
	wb_item_free(it);

	t0 = now();
	for (long i = 0; i < n; i++) {
		if (wb__item_decode(&it, enc.data, enc.len) != 0)
			return 1;
		if (!wb_item_has(it, "price"))
			wb_item_set_number(it, "price", "0");
		out.len = 0;
		if (wb__item_encode(&out, it) != 0)
			return 1;
		wb_item_free(it);
	}
	t1 = now();
	printf("codec decode+set+encode: %ld items in %.3f s = %.0f items/s\n", n, t1 - t0,
	       n / (t1 - t0));

	n /= 10;
	wb_item_from_json(&it, sample, strlen(sample), WB_JSON_DDB);
	t0 = now();
	for (long i = 0; i < n; i++) {
		wb_item *x = NULL;
		if (wb_item_to_json(&json, it, WB_JSON_DDB) != 0 ||
		    wb_item_from_json(&x, json, strlen(json), WB_JSON_DDB) != 0)
			return 1;
		wb_string_free(json);
		wb_item_free(x);
	}
	t1 = now();
	printf("json print+parse: %ld items in %.3f s = %.0f items/s\n", n, t1 - t0, n / (t1 - t0));
	wb_item_free(it);
	wb__buf_free(&enc);
	wb__buf_free(&out);
	return 0;
}
