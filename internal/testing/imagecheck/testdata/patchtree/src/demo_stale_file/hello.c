#include <stdio.h>

int
main(void)
{
	puts("goodbye");
	return 0;
}
