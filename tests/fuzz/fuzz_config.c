/*
 * fuzz_config.c - libFuzzer target for the whimbrel.conf reader (config.c).
 * Any input must parse without a crash, leak or undefined behaviour and
 * either fail with WB_EINVALID and one line "fuzz.conf:LINE: what" whose
 * LINE is a line of the input, or succeed with lookups that agree with the
 * line numbers they report.  Its corpus, tests/fuzz/corpus/config/ (seeded
 * from tests/data/config-corpus/, which tests/test_config.c replays too), is
 * replayed by `make test`; `make fuzz` builds it with libFuzzer
 * (tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "whimbrel.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_lines(const char *s, size_t n)
{
	int lines = 1;

	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	wb__config *cf = NULL;
	int rc = wb__config_parse(&cf, text, size, "fuzz.conf");

	if (rc < 0) {
		const char *msg = wb_error_last();
		int line = strncmp(msg, "fuzz.conf:", 10) == 0 ? atoi(msg + 10) : 0;
		if (rc != WB_EINVALID || cf || strchr(msg, '\n') || line < 1 ||
		    line > count_lines(text, size))
			abort();
		return 0;
	}
	if (!cf)
		abort();
	/* the usual keys: a value comes with a line, and no value without */
	static const char *const sections[] = {"dev", "prod", "x"};
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const char *v = wb__config_get(cf, sections[i], "db");
		int line = wb__config_line(cf, sections[i], "db");
		if ((v != NULL) != (line > 0) || line > count_lines(text, size))
			abort();
		if (v && !wb__config_has_section(cf, sections[i]))
			abort();
	}
	wb__config_free(cf);
	return 0;
}
