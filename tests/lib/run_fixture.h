/*
 * run_fixture.h - the environment of a migration run made in the test's
 * own process (wb_run_begin reads what the runner would pass its child).
 */
#ifndef RUN_FIXTURE_H
#define RUN_FIXTURE_H

/**
 * Set the run's target URL, mode (dev, prod), migration name, threads and
 * batch size; no control channel, and wb_each free to take its fast path.
 */
void wbt_run_env(const char *url, const char *mode, const char *migration, int threads, int batch);

#endif /* RUN_FIXTURE_H */
