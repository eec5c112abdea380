/*
 * Finalization Time: 2026-01-01 at 00:00:01 UTC
 * Execution Time 2026-01-01 at 00:00:00 UTC
 * Execution  time  :2026-01-01 at 00:00:00 UTC
 * Finalization Time: 2026-01-01 at 00:00:00 utc
 */
