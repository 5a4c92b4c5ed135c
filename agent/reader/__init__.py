"""Deterministic reading of operator chat: time phrases, options, actions, corrections."""
