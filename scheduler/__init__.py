"""Our scheduler interface (`base`), its APScheduler 3 implementation (`aps`) and the job functions (`jobs`)."""
