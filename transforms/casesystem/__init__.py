"""The case-management system: supplier mappings, delivery checks and the nightly load."""
