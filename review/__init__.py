"""What the city's staff read of citizens' conversations: masked transcripts, filters, exports."""
