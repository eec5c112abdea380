/*
 * BOM and CRLF.
 *
 * Execution Time: 2026-11-25 at 10:00:03 UTC
 * Finalization Time: 2026-11-25 at 10:04:12 UTC
 */
int x;
