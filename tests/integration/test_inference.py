"""Try it's warm model: the first question loads the run's model once, the next ones reuse it,
the base answers through the same process with the adapter switched off, and an idle model is
released."""

from __future__ import annotations

import time

import pytest

from ollama_trainer.errors import DomainError
from ollama_trainer.training.inference import InferencePool
from tests.integration.conftest import profile, run_worker, write_chat_dataset, write_job
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_model, models_cache):
    root = tmp_path_factory.mktemp("warm")
    data = write_chat_dataset(root / "colours.jsonl")
    run_dir = write_job(root / "home" / "runs" / "20261202-000000-warm01", profile(tiny_model), data, models_cache,
                        epochs=1, training_id="20261202-000000-warm01")
    rc, _, err = run_worker(run_dir, root / "home")
    assert rc == 0, err[-2000:]
    return root / "home", run_dir.name


def test_one_process_answers_trained_and_base_questions(trained, monkeypatch):
    home, tid = trained
    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(home))
    pool = InferencePool(idle_s=1.0)
    try:
        t0 = time.monotonic()
        first = pool.ask(run=tid, base=None, prompt="What colour is the sky?", max_new_tokens=8)
        first_s = time.monotonic() - t0
        (server,) = pool._servers.values()
        pid = server.process.pid
        t0 = time.monotonic()
        again = pool.ask(run=tid, base=None, prompt="What colour is the sky?", max_new_tokens=8)
        second_s = time.monotonic() - t0
        base = pool.ask(run=tid, base=None, prompt="What colour is the sky?", with_adapter=False, max_new_tokens=8)
        print(f"first question {first_s:.2f} s (load included), second {second_s:.2f} s")
        assert first == again and isinstance(base[0], str)  # greedy: the same answer twice
        # one token: cut, and said so (the window adds "…"), unless the answer was empty anyway
        text, cut = pool.ask(run=tid, base=None, prompt="What colour is the sky?", max_new_tokens=1)
        assert cut == bool(first[0]) and (text or not cut), (first, text, cut)
        assert [s.process.pid for s in pool._servers.values()] == [pid]  # one process, kept
        with pytest.raises(DomainError) as err:
            pool.ask(run="20261202-000000-nope00", base=None, prompt="hi")
        assert err.value.code == "unknown_training"
        wait_until(lambda: not pool._servers, what="the idle model to be released")  # idle past idle_s
        assert not pool._servers and server.process.wait(15) is not None
    finally:
        pool.close()


def test_an_answer_streams_as_it_grows(trained, monkeypatch):
    """The Chat page's answers: the warm model says the answer so far while it writes (at most
    every 0.1 s, the first token at once), then the whole answer; the window reads it through
    chat_send / chat_read."""
    from ollama_trainer.training.chat_streams import ChatStreams

    home, tid = trained
    monkeypatch.setenv("OLLAMA_TRAINER_HOME", str(home))
    pool = InferencePool()
    try:
        heard: list[str] = []  # the tiny base rambles on to the limit: words to hear
        text, _ = pool.ask(run=tid, base=None, prompt="What colour is the sky?", max_new_tokens=24,
                           on_text=heard.append, with_adapter=False)
        greedy, _ = pool.ask(run=tid, base=None, prompt="What colour is the sky?", max_new_tokens=24,
                             with_adapter=False)
        assert text == greedy  # streaming changes nothing of the answer
        assert heard and all(h and text.startswith(h) for h in heard), (heard, text)

        streams = ChatStreams(pool)
        sid = streams.start(run=tid, base=None, history=[{"role": "user", "content": "Hi"},
                                                         {"role": "assistant", "content": "Hello."}],
                            prompt="What colour is the sky?")
        done = wait_until(lambda: streams.read(sid) if streams.read(sid).done else None, what="the streamed answer")
        assert done.error is None and done.seconds is not None
        again, _ = pool.ask(run=tid, base=None, prompt="What colour is the sky?", max_new_tokens=160,
                            history=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}])
        assert done.text == again
        sampled = streams.start(run=tid, base=None, history=[], prompt="What colour is the sky?", another=True, seed=3)
        other = wait_until(lambda: streams.read(sampled) if streams.read(sampled).done else None, what="another answer")
        assert other.error is None
        failed = streams.start(run="20261202-000000-nope00", base=None, history=[], prompt="hi")
        refused = wait_until(lambda: streams.read(failed) if streams.read(failed).done else None, what="the refusal")
        assert refused.error and "no training run" in refused.error
    finally:
        pool.close()
