/*
 * version.c - the running library's version (wb_version, wb_version_number).
 *
 * The header's WB_VERSION_* macros say what a program was compiled against;
 * these say which libwhimbrel it runs with (they differ when an older or
 * newer libwhimbrel.so.0 is installed).
 */
#include "whimbrel.h"

const char *wb_version(void)
{
	return WB_VERSION_STRING;
}

int wb_version_number(void)
{
	return WB_VERSION_NUMBER;
}
