"""The export of a run of the builtin model (SmolLM2-135M), phase by phase, with the app
process's peak extra memory, next to a naive merge in the same run.

    .venv/bin/python bench/export.py

- ours: weights/merge.py, header read by our parser, tensors streamed in blocks of rows;
- naive: gguf-py's GGUFReader and GGUFWriter.add_tensor, the whole merged model held in
  memory before it is written (what the obvious code does);
- export: `export_run` end to end against the Ollama stand-in (in its own process, so its
  memory is not counted): merge + write, hash + upload, create, the self-check.
Each side runs in its own process; extra memory = peak RSS (VmHWM) minus RSS after imports.
The LoRA is random with the shipped profiles' shape (r=16, all 7 modules): merging costs the
same for any values. Goal (issue 12): under 15 s and under 150 MB extra on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "backend"), str(REPO)]


def status_mb() -> dict[str, float]:
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM", "RssAnon")}


def synthetic_adapter(folder: Path, rank: int = 16) -> Path:
    import numpy as np

    from tests.fakes.tiny_gguf import write_peft_adapter

    np.random.seed(0)
    return write_peft_adapter(folder, layers=30, hidden=576, inter=1536, heads=9, kv_heads=3, rank=rank, alpha=32)


def side_ours(base: Path, adapter: Path, out: Path) -> dict:
    from ollama_trainer.weights.merge import merge_into_gguf

    before = status_mb()
    t0 = time.perf_counter()
    report = merge_into_gguf(base, adapter, out)
    return {"seconds": time.perf_counter() - t0, "extra_mb": status_mb()["VmHWM"] - before["VmRSS"],
            "bytes": report.bytes}


def side_naive(base: Path, adapter: Path, out: Path) -> dict:
    import gguf
    import numpy as np
    from gguf.quants import dequantize

    from ollama_trainer.weights.lora import permute_rows, read_adapter

    before = status_mb()
    t0 = time.perf_counter()
    lora = read_adapter(adapter)
    reader = gguf.GGUFReader(str(base))
    writer = gguf.GGUFWriter(str(out), arch="llama")
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name in ("general.architecture", "general.file_type", "general.alignment"):
            continue
        sub = field.types[1] if len(field.types) > 1 else None
        writer.add_key_value(name, field.contents(), field.types[0], sub_type=sub)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    names = {"attn_q": "q_proj", "attn_k": "k_proj", "attn_v": "v_proj", "attn_output": "o_proj",
             "ffn_gate": "gate_proj", "ffn_up": "up_proj", "ffn_down": "down_proj"}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type)
        parts = t.name.split(".")
        if len(parts) == 4 and parts[2] in names and (int(parts[1]), names[parts[2]]) in lora.pairs:
            a, b = lora.pairs[(int(parts[1]), names[parts[2]])]
            delta = lora.scale * (b @ a)
            if parts[2] in ("attn_q", "attn_k"):
                delta = permute_rows(delta, 9 if parts[2] == "attn_q" else 3)
            values = values + delta
        writer.add_tensor(t.name, values.astype(np.float16 if values.ndim >= 2 else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"seconds": time.perf_counter() - t0, "extra_mb": status_mb()["VmHWM"] - before["VmRSS"],
            "bytes": out.stat().st_size}


def side_export(base: Path, adapter: Path, home: Path, host: str) -> dict:
    import shutil

    os.environ["OLLAMA_TRAINER_HOME"] = str(home)
    from ollama_trainer.contracts import TrainingRunSummary
    from ollama_trainer.ollama.export import export_run
    from ollama_trainer.training import history
    from ollama_trainer.protocol import BaseModelFile, JobSpec

    tid = "20261202-000000-bench0"
    run = history.run_dir(tid)
    shutil.copytree(adapter, run / "adapter")
    profile = json.loads((REPO / "config" / "training_profiles.json").read_text())["profiles"][0]
    JobSpec.model_validate({"training_id": tid, "epochs": 1, "profile": profile, "models_dir": str(home),
                            "dataset": {"id": "bench", "path": "/bench.jsonl"},
                            "base": BaseModelFile(kind="builtin", gguf=str(base), architecture="llama")}
                           ).write(run / "job.json")
    history.record(TrainingRunSummary(training_id=tid, profile_id="quick-demo", dataset_id="bench", status="done",
                                      started_at="2026-12-02T00:00:00+00:00", finished_at="2026-12-02T00:01:00+00:00",
                                      epochs=1))
    marks: list[tuple[float, str]] = []
    before = status_mb()
    t0 = time.perf_counter()
    export_run(tid, host=host, model_name="bench", on_status=lambda text: marks.append((time.perf_counter(), text)))
    total = time.perf_counter() - t0

    def first(prefix: str) -> float:
        return next(t for t, text in marks if text.startswith(prefix)) - t0

    upload_start, create_start, check_start = first("hashing"), first("creating"), first("checking that Ollama")
    return {"seconds": total, "merge_s": first("checking Ollama at"), "upload_s": create_start - upload_start,
            "create_s": check_start - create_start, "check_s": total - check_start,
            "extra_mb": status_mb()["VmHWM"] - before["VmRSS"]}


STANDIN = """
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from tests.fakes.ollama_standin import OllamaStandin
with OllamaStandin() as s:
    print(s.url, flush=True)
    sys.stdin.read()
"""


def run_side(name: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--side", name, *args], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"side {name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", choices=["ours", "naive", "export"])
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.side:
        fn = {"ours": side_ours, "naive": side_naive, "export": side_export}[args.side]
        print(json.dumps(fn(*[a if a.startswith("http") else Path(a) for a in args.args])))
        return

    from ollama_trainer.bases import builtin_gguf

    base = builtin_gguf()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        tmp = Path(tmp)
        adapter = synthetic_adapter(tmp / "adapter")
        print(f"base: {base.name} ({base.stat().st_size / 1e6:.0f} MB, Q4_1); LoRA r=16 on 210 tensors; "
              f"{os.cpu_count()} CPU cores")
        ours = run_side("ours", str(base), str(adapter), str(tmp / "ours.gguf"))
        naive = run_side("naive", str(base), str(adapter), str(tmp / "naive.gguf"))
        print(f"{'merge + write':<22}{'seconds':>10}{'extra MB':>10}{'file MB':>10}")
        for label, r in (("ours (streamed)", ours), ("naive (gguf-py)", naive)):
            print(f"{label:<22}{r['seconds']:>10.2f}{r['extra_mb']:>10.0f}{r['bytes'] / 1e6:>10.0f}")
        print(f"same bytes written: {(tmp / 'ours.gguf').stat().st_size == (tmp / 'naive.gguf').stat().st_size}")

        standin = subprocess.Popen([sys.executable, "-c", STANDIN, str(REPO / "backend"), str(REPO)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            host = standin.stdout.readline().strip()
            e = run_side("export", str(base), str(adapter), str(tmp / "home"), host)
        finally:
            standin.stdin.close()
            standin.wait(timeout=30)
        print(f"\nexport_run end to end (stand-in Ollama 0.35.0 in another process): {e['seconds']:.2f} s, "
              f"app peak extra memory {e['extra_mb']:.0f} MB")
        print(f"  merge + write model.gguf {e['merge_s']:.2f} s | hash + upload {e['upload_s']:.2f} s | "
              f"create {e['create_s']:.2f} s | self-check {e['check_s']:.2f} s")
        verdict = "met" if e["seconds"] < 15 and e["extra_mb"] < 150 else "NOT met"
        print(f"goal: under 15 s and under 150 MB extra: {verdict}")


if __name__ == "__main__":
    main()
