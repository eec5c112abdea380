/* One line. Execution Time: */
