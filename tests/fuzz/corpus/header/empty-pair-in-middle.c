/*
 * Notes follow.
 * Execution Time: 2026-01-01 at 00:00:00 UTC
 * Finalization Time: 2026-01-01 at 00:00:01 UTC (interrupted)
 * Execution Time:
 * Finalization Time:
 * Execution Time: 2026-01-02 at 00:00:00 UTC
 * Finalization Time: 2026-01-02 at 00:00:01 UTC (a (nested) note)
 */
