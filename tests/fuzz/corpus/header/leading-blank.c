

   
/*
 * Leading blank lines.
 *
 * Execution Time:
 * Finalization Time:
 */
