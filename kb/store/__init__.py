"""Storage: the only SQL of the kb package (repository + queries.sql), the seed file format (seedfile)
and what is read back from stored failures (effectiveness)."""
