/*
 * strset.c - the set of strings of strset.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "strset.h"

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The slot of `s`, or the empty slot where it would go (cap > 0). */
static size_t find(const wb_strset *set, const char *s)
{
	size_t i = str_hash(s) & (set->cap - 1);

	while (set->slot[i] && strcmp(set->slot[i], s) != 0)
		i = (i + 1) & (set->cap - 1);
	return i;
}

static int grow(wb_strset *set)
{
	size_t ncap = set->cap ? set->cap * 2 : 1024;
	wb_strset bigger = {wb__calloc(ncap, sizeof(char *)), ncap, set->n};

	if (!bigger.slot)
		return WB_ENOMEM;
	for (size_t k = 0; k < set->cap; k++)
		if (set->slot[k])
			bigger.slot[find(&bigger, set->slot[k])] = set->slot[k];
	free(set->slot);
	*set = bigger;
	return 0;
}

int wb__strset_add(wb_strset *set, const char *s)
{
	size_t i;

	if (set->n * 2 >= set->cap && grow(set) < 0)
		return WB_ENOMEM;
	i = find(set, s);
	if (set->slot[i])
		return 1;
	if (!(set->slot[i] = wb__strdup(s)))
		return WB_ENOMEM;
	set->n++;
	return 0;
}

int wb__strset_has(const wb_strset *set, const char *s)
{
	return set->cap && set->slot[find(set, s)] != NULL;
}

void wb__strset_free(wb_strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	memset(set, 0, sizeof(*set));
}
