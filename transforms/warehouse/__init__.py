"""The warehouse: schema (defined once, created by code), engines and the load protocol."""
