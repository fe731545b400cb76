/* exit0: the end of a benchmark chain. */
int
main(void)
{
	return 0;
}
