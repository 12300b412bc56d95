"""The partner cabinet's "🔔 Events in this chat": what the tracker bot sends to the private chat (issue 17)."""
