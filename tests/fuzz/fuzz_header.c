/*
 * fuzz_header.c - libFuzzer target for the migration header parser
 * (header.c).  Any input must parse without a crash, leak or undefined
 * behaviour, and give a consistent result: one-line problems with line
 * numbers inside the text, runs whose lines are in order.  Its corpus,
 * tests/fuzz/corpus/header/ (seeded from tests/data/header-corpus/, which
 * tests/test_header.c replays and stamps), is replayed by `make test`;
 * `make fuzz` builds it with libFuzzer (tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"

static int count_lines(const char *s, size_t n)
{
	int lines = 1;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wb_header *h = NULL;
	int rc = wb_header_parse(&h, (const char *)data, size);
	int lines = count_lines((const char *)data, size);

	if (rc != 0 && rc != -7 /* WB_EINVALID */)
		abort();
	if (!h || !h->description)
		abort();
	for (size_t i = 0; i < h->nproblems; i++)
		if (h->problems[i].line < 1 || h->problems[i].line > lines ||
		    strchr(h->problems[i].msg, '\n') || !h->problems[i].msg[0])
			abort();
	for (size_t i = 0; i < h->nruns; i++) {
		const wb_header_run *r = &h->runs[i];
		if (!r->exec_line && !r->fin_line)
			abort();
		if (r->exec_line && r->fin_line && r->exec_line >= r->fin_line)
			abort();
		if (i > 0 && (r->exec_line ? r->exec_line : r->fin_line) <=
		    (h->runs[i - 1].fin_line ? h->runs[i - 1].fin_line : h->runs[i - 1].exec_line))
			abort();
	}
	if (strchr(h->description, '\n'))
		abort();
	wb_header_free(h);
	return 0;
}
