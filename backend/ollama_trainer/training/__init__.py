"""Training: the manager (threads, in the app process), the worker subprocess (the only place
torch is imported), and the run history."""
