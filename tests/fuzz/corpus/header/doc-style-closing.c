/** Doc style.
	**  Execution Time:
	**  Finalization Time: */
int x;
