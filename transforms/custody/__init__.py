"""Police custody: the twice-daily files, versions by extract time, enrichment, the duty briefing and triage."""
