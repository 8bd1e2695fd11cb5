"""Education: the nightly local-authority extract (pupils, suspensions, attendance)."""
