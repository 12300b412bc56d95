"""The partner cabinet's "📣 My channels": event channels and what they receive (issue 7)."""
