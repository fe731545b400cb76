/* execstage: the smallest chain stage there is: exec the rest. */
#include <unistd.h>

int
main(int argc, char *argv[])
{
	if (argc < 2)
		return 100;
	execv(argv[1], argv + 1);
	return 127;
}
