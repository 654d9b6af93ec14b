"""Personal data kept out of what people other than the citizen see: logs, review and exports."""
