"""How citizens reach the assistant: the web widget's socket.io channel with an origin check,
button-less messaging (Twilio) with numbered options, and the credentials for each channel."""
