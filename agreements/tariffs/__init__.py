"""National tariff schedules: reading their duty texts and loading their lines."""
