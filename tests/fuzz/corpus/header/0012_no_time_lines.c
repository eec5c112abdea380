/*
 * A header with a description but no time lines.
 */
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
