"""The composition root: endpoints, policy, privacy, context and tools wired into one runtime."""
