"""Managing your datasets: upload (browser mode and drag and drop send the content), a name and
description, rename, delete with the runs that used it still readable, never a silent replace,
a preview of the first rows, and token counts that say whether they are exact."""

from __future__ import annotations

import json

import httpx
import pytest

from ollama_trainer import catalog
from ollama_trainer.bridge.commands import Commands
from ollama_trainer.bridge.http import TOKEN_HEADER, BridgeServer
from ollama_trainer.errors import DomainError

ROWS = [{"messages": [{"role": "user", "content": f"Question {n}?"}, {"role": "assistant", "content": f"Answer {n}."}]}
        for n in range(7)]
CONTENT = "".join(json.dumps(r) + "\n" for r in ROWS)


def test_upload_names_describes_and_previews():
    info = catalog.upload_dataset("faq.jsonl", CONTENT, name="My FAQ", description="Seven questions")
    assert (info.id, info.name, info.description, info.examples, info.source) == ("faq", "My FAQ", "Seven questions",
                                                                                    7, "user")
    preview = catalog.preview_dataset("faq", limit=2)
    assert preview.total == 7 and [r.line for r in preview.rows] == [1, 2]
    assert preview.rows[0].messages[1] == {"role": "assistant", "content": "Answer 0."}


def test_importing_again_never_replaces_silently(tmp_path):
    first = catalog.upload_dataset("faq.jsonl", CONTENT)
    second = catalog.upload_dataset("faq.jsonl", CONTENT.replace("Answer", "Reply"))
    assert (first.id, second.id) == ("faq", "faq-2")  # a name taken: a free id, the first one kept
    assert catalog.preview_dataset("faq").rows[0].messages[1]["content"] == "Answer 0."
    with pytest.raises(DomainError) as err:  # a chosen id that is taken: refused, unless replace
        catalog.upload_dataset("other.jsonl", CONTENT, dataset_id="faq")
    assert err.value.code == "dataset_exists" and "replace" in err.value.message
    replaced = catalog.upload_dataset("other.jsonl", CONTENT.replace("Answer", "New"), dataset_id="faq", replace=True)
    assert replaced.id == "faq" and catalog.preview_dataset("faq").rows[0].messages[1]["content"] == "New 0."


def test_rename_and_delete_only_your_own():
    catalog.upload_dataset("faq.jsonl", CONTENT)
    assert catalog.update_dataset("faq", name="Support answers", description="v2").name == "Support answers"
    assert catalog.get_dataset_entry("faq").description == "v2"
    path = catalog.get_dataset_entry("faq").path
    catalog.delete_dataset("faq")
    assert "faq" not in [d.id for d in catalog.list_dataset_entries()]
    assert not __import__("pathlib").Path(path).exists()
    for change in (lambda: catalog.update_dataset("identity-demo", name="x"),
                   lambda: catalog.delete_dataset("identity-demo")):
        with pytest.raises(DomainError) as err:
            change()
        assert "ships with the app" in err.value.message


def test_a_broken_upload_names_the_line():
    with pytest.raises(DomainError) as err:
        catalog.upload_dataset("bad.jsonl", CONTENT + '{"messages": [{"role": "user", "content": "?"}]}\n')
    assert err.value.code == "invalid_dataset" and "bad.jsonl:8" in err.value.message
    assert [d.id for d in catalog.list_dataset_entries() if d.source == "user"] == []


def test_token_counts_say_whether_they_are_exact(monkeypatch, tmp_path):
    monkeypatch.setenv("OLLAMA_TRAINER_MODELS_CACHE", str(tmp_path / "empty-cache"))
    info = catalog.upload_dataset("faq.jsonl", CONTENT)
    assert info.tokens and info.tokens_exact is False  # no tokenizer yet: about words x 1.3


def test_upload_over_http_takes_more_than_the_usual_body_limit():
    server = BridgeServer(Commands(transport="browser"))
    server.start_in_thread()
    try:
        big = CONTENT * 2000  # ~1 MB: far over the 64 KiB of other commands
        r = httpx.post(f"{server.url}api/upload_dataset", json={"filename": "big.jsonl", "content": big},
                       headers={TOKEN_HEADER: server.token}, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["examples"] == 14000
        r = httpx.post(f"{server.url}api/list_datasets", content=b"x" * (70 * 1024),
                       headers={TOKEN_HEADER: server.token}, timeout=60)
        assert r.status_code == 413
    finally:
        server.shutdown()
        server.server_close()
