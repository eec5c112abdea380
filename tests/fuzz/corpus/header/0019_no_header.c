// A line comment is not a header.
#include <whimbrel.h>

int main(void)
{
	wb_run *run = wb_run_begin();
	return wb_run_end(run, 0);
}
