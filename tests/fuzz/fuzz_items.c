/*
 * fuzz_items.c - libFuzzer target for the item readers: the JSON reader in
 * each format (first input byte % 4 = 0 DynamoDB, 1 plain, 2 auto) and the
 * binary item and number-key decoders (3).  Whatever parses must survive
 * the round trips (JSON out and back, codec out and back) unchanged.  Its
 * corpus, tests/fuzz/corpus/items/ (seeded from tests/data/json-corpus/ with
 * a mode byte in front), is replayed by `make test`; `make fuzz` builds it
 * with libFuzzer (tests/fuzz/README.md).
 */
#include <stdlib.h>
#include <string.h>
#include "whimbrel.h"
#include "codec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* A valid item must come back equal from DynamoDB JSON and from the codec. */
static void round_trips(const wb_item *it)
{
	wb_item *x = NULL;
	wb_buf b = {0};
	char *s = NULL;

	if (wb_item_to_json(&s, it, WB_JSON_DDB) != 0 ||
	    wb_item_from_json(&x, s, strlen(s), WB_JSON_DDB) != 0 || !wb_item_equal(x, it))
		abort();
	wb_item_free(x);
	wb_string_free(s);
	if (wb__item_encode(&b, it) != 0 || wb__item_decode(&x, b.data, b.len) != 0 ||
	    !wb_item_equal(x, it))
		abort();
	wb_item_free(x);
	wb__buf_free(&b);
	if (wb_item_to_json(&s, it, WB_JSON_PLAIN) == 0) {
		if (wb_item_from_json(&x, s, strlen(s), WB_JSON_PLAIN) != 0)
			abort();
		wb_item_free(x);
		wb_string_free(s);
	}
}

/* Binary decoders: an item that validates round-trips; a number key re-encodes to the same bytes. */
static void decoders(const unsigned char *data, size_t size)
{
	wb_item *it = NULL;
	wb_value *v = NULL;
	wb_buf b = {0};

	if (wb__item_decode(&it, data, size) == 0) {
		if (wb_item_validate(it, NULL) == 0)
			round_trips(it);
		wb_item_free(it);
	}
	if (wb__key_decode(&v, WB_N, data, size) == 0) {
		if (wb__key_encode(&b, v) != 0 || b.len != size || memcmp(b.data, data, size) != 0)
			abort();
		wb__buf_free(&b);
		wb_value_free(v);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	wb_item *it = NULL;
	int mode;

	if (size < 1)
		return 0;
	mode = data[0] % 4;
	if (mode == 3) {
		decoders(data + 1, size - 1);
		return 0;
	}
	if (wb_item_from_json(&it, (const char *)data + 1, size - 1, mode) == 0) {
		round_trips(it);
		wb_item_validate(it, NULL);
		wb_item_free(it);
	}
	return 0;
}
