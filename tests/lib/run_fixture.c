/*
 * run_fixture.c - the environment of an in-process migration run; see
 * run_fixture.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "run.h"
#include "run_fixture.h"

void wbt_run_env(const char *url, const char *mode, const char *migration, int threads, int batch)
{
	char n[32];

	setenv(WB_ENV_TARGET, url, 1);
	setenv(WB_ENV_MODE, mode, 1);
	setenv(WB_ENV_MIGRATION, migration, 1);
	snprintf(n, sizeof(n), "%d", threads);
	setenv(WB_ENV_THREADS, n, 1);
	snprintf(n, sizeof(n), "%d", batch);
	setenv(WB_ENV_BATCH, n, 1);
	unsetenv(WB_ENV_CTL_FD);
	unsetenv(WB_ENV_EACH_GENERIC);
}
