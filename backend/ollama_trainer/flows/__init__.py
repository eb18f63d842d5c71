"""Flows: multi-step jobs (INDEX, TRAIN, EXPORT, EVAL) described by JSON files and run in a
thread: definition.py (schema, load, checks), step.py (what a step declares: its arguments,
outputs and run function), steps/ (one module per command), runner.py (FlowRunner),
history.py (live state and the finished-runs log), docs_table.py (docs/flows.md's table of
steps, generated)."""
