/*
 * smsotp: the admin tool (being written).
 */
#include <stdio.h>

int
main(void)
{
	fputs("smsotp: not built yet\n", stderr);
	return 1;
}
