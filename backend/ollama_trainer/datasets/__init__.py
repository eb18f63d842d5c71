"""Datasets: read a JSONL file in one of four formats, normalise its records, validate them.

Public API (used by the catalog, the CLI, the worker and the INDEX flow step):

    load(path, format=None, *, display_path=None) -> LoadedDataset
        Reads and validates the whole file; never raises for bad content (problems are in
        LoadedDataset.errors / .warnings, each naming its line). Raises DatasetReadError only
        when the file cannot be opened at all.

    LoadedDataset.examples: list[Example]; Example is a dict, either
        {"messages": [{"role": "system"|"user"|"assistant", "content": str}, ...], "line": int}
        or {"text": str, "line": int} for the plain `text` format.
"""
