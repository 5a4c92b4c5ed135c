"""The inventory as patchpilot knows it: a snapshot of the source of truth (the AWX inventory of the job template,
or a YAML file for local use and tests), stored in PostgreSQL and resolved against by the API and the worker."""
