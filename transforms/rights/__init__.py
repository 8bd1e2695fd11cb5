"""Children's data rights across every place the platform keeps data: the inventory of
personal data (``reference/personal_data_inventory.yaml``), subject access, retention and
erasure. Nothing here logs or audits a name, date of birth, UPN, PNC id or case-system id."""
