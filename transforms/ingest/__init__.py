"""The one ingest protocol every source goes through (issue 17).

discover files -> check the delivery -> read (explicit, detected and reported encoding and
delimiter) -> map to the source's model -> validate with Great Expectations -> quarantine ->
stage -> table-level rules -> publish in one transaction -> audit -> outputs.

A source is data, not a loader: a mapping file (``mapping``), a model file, a suite per table in
``expectations/`` and its table-level rules (``sources``). ``protocol`` runs the steps; the
case system, education, CCIS, the board register and the population reference are snapshot
sources; police custody adds each file's versions (``transforms.custody.load``) with the same
readers, checks, report, rejection and audit."""
