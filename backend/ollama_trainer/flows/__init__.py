"""Flows: multi-step jobs (INDEX, TRAIN, EVAL, EXPORT) described by JSON files and run in a
thread: definition.py (schema, load, checks), steps.py (one function per command),
runner.py (FlowRunner), history.py (live state and the finished-runs log)."""
